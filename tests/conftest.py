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
from monitor.config import Config
from monitor.runtime.context import Runtime, open_runtime
from tests.servers import SLACK_TOKEN, FakeSlack, FeedSpec, NewsSite

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


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
) -> Path:
    """A monitor.yaml in `folder` (the shipped rules unless `rules` is given); its path."""
    config: dict[str, Any] = {
        "database": "monitor.db",
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
