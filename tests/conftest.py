"""Shared fixtures: local news site, fake Slack, seed acceptance facts, config writer."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.alerts import ConsoleSender, Sender
from monitor.config import DATABASE_URL_ENV, Config, is_server_url
from monitor.runtime.context import Runtime, open_runtime
from monitor.storage import open_database
from monitor.storage.postgres.connection import open_server_database
from monitor.storage.sql.dialect import Db
from tests.postgres import fresh_database
from tests.servers import SLACK_TOKEN, FakeSlack, FeedSpec, NewsSite

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of this test's own."""
    with fresh_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on each backend: an SQLite file path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "monitor.db")
        return
    with fresh_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def each_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a whole runtime test on each backend: for PostgreSQL, $MONITOR_DATABASE_URL points
    every config the test loads at a fresh database (as it does for a deployed replica)."""
    if request.param == "sqlite":
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
        yield request.param
        return
    with fresh_database() as url:
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        yield request.param


def stored_db(folder: Path) -> Db:
    """The database of the test's config in `folder`: its SQLite file, or the PostgreSQL
    database each_backend gave it."""
    return open_db(os.environ.get(DATABASE_URL_ENV) or folder / "monitor.db")


@pytest.fixture(scope="session")
def acceptance() -> dict[str, dict[str, Any]]:
    """seeds/acceptance.yaml, keyed by seed stem (the page name without .html)."""
    facts = yaml.safe_load((DATA / "seeds" / "acceptance.yaml").read_text(encoding="utf-8"))
    return {name.removesuffix(".txt"): value for name, value in facts.items()}


@pytest.fixture
def news_site() -> Iterator[NewsSite]:
    site = NewsSite()
    site.feeds["news"] = FeedSpec(items=sorted(site.pages))
    site.start()
    yield site
    assert site.server is not None
    site.server.stop()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    assert slack.server is not None
    slack.server.stop()


def write_config(
    folder: Path,
    feeds: list[dict[str, Any]],
    *,
    slack_api_url: str | None = None,
    fetch: dict[str, Any] | None = None,
    rules: Path | None = None,
    database: str = "monitor.db",
) -> Path:
    """A monitor.yaml in `folder` (the shipped rules unless `rules` is given, an SQLite file
    unless `database` names another file or a PostgreSQL URL); its path."""
    config: dict[str, Any] = {
        "database": database,
        "rules": str(rules or REPO / "rules"),
        "feeds": feeds,
        "fetch": {
            "allow_private_addresses": True,
            "timeout": "2s",
            "per_host_delay": 0,
            "per_host_concurrency": 8,
            **(fetch or {}),
        },
    }
    if slack_api_url:
        config["slack"] = {"channel": "#news-alerts", "api_url": slack_api_url, "pace": 0}
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def start_daemon(config: Path, stdout: int | None = subprocess.PIPE) -> subprocess.Popen[str]:
    """`monitor run --config CONFIG` as a subprocess, with the fake Slack's token."""
    env = {**os.environ, "SLACK_BOT_TOKEN": SLACK_TOKEN}
    env.pop("MONITOR_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


def open_db(location: str | Path) -> Db:
    """The database a test left behind, to look into: an SQLite file or a PostgreSQL URL."""
    if is_server_url(str(location)):
        return open_server_database(str(location))
    return open_database(Path(location))


@contextlib.asynccontextmanager
async def runtime_for(
    config: Config,
    now: Callable[[], datetime] = lambda: datetime(2026, 1, 1, tzinfo=UTC),
    sender: Sender | None = None,
) -> AsyncIterator[Runtime]:
    """The real runtime (store, HTTP client, worker pool) on `config`, alerts to a buffer."""
    async with open_runtime(config, sender or ConsoleSender(io.StringIO()), now) as runtime:
        yield runtime


POISON_LINE = b"a" * 40 + b"b"


def poison(folder: Path, site: NewsSite) -> Path:
    """A hostile page and an operator's badly written boilerplate pattern, `(a+)+`, that
    backtracks for minutes on the page's line of a's: the worker analysing the page is
    stuck until its deadline. Returns the boilerplate file (for `extraction.boilerplate`)."""
    shipped = REPO / "monitor" / "extraction" / "boilerplate.yaml"
    patterns = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    patterns["patterns"].append({"name": "stuck", "drop": "line", "match": "(a+)+"})
    path = folder / "boilerplate.yaml"
    path.write_text(yaml.safe_dump(patterns), encoding="utf-8")
    site.pages["poison.html"] = (
        b"<html><head><title>Poison</title></head><body><article><h1>Poison</h1>"
        b"<p>Ukraine and NATO were mentioned in a long report on the summit preparations.</p>"
        b"<p>" + POISON_LINE + b"</p></article></body></html>"
    )
    site.feeds["news"].items = sorted(site.pages)
    return path
