"""Every file of the feed corpus (feedparser's own test feeds and 39 real news feeds) served
from a local server through the real poller: no crash, no hang, and every feed ends as
parsed entries or a recorded, readable error. Data: tests/data/feeds (see its DATA.md)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from monitor.config import Config, FeedConfig, FetchConfig
from monitor.runtime.poller import Poller
from tests.conftest import DATA, REPO, runtime_for
from tests.servers import ServerThread

CORPUS = DATA / "feeds"
_HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", re.M)


def corpus_files() -> list[Path]:
    return sorted(
        p
        for folder in ("feedparser-tests", "real-world")
        for p in (CORPUS / folder).rglob("*")
        if p.is_file()
    )


def _headers(body: bytes) -> dict[str, str]:
    """The HTTP headers feedparser's harness sends for this file (its `Header:` lines)."""
    headers = {"Content-Type": "text/xml"}
    for name, value in _HEADER.findall(body[:2000]):
        headers[name.decode("ascii", "replace")] = value.decode("ascii", "replace")
    return headers


@pytest.fixture(scope="module")
def corpus_server() -> Iterator[str]:
    files = {str(p.relative_to(CORPUS)): p for p in corpus_files()}

    async def serve(request: web.Request) -> web.Response:
        path = files.get(request.match_info["path"])
        if path is None:
            return web.Response(status=404)
        body = path.read_bytes()
        headers = _headers(body)
        content_type = headers.pop("Content-Type", headers.pop("Content-type", "text/xml"))
        return web.Response(body=body, headers={**headers, "Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/{path:.+}", serve)
    server = ServerThread(app).start()
    yield server.url
    server.stop()


async def test_every_corpus_file_parses_or_fails_cleanly(
    tmp_path: Path, corpus_server: str
) -> None:
    files = corpus_files()
    assert len(files) > 2000
    feeds = [FeedConfig(url=f"{corpus_server}/{p.relative_to(CORPUS)}") for p in files]
    config = Config(
        database=tmp_path / "corpus.db",
        rules=REPO / "rules",
        feeds=feeds,
        fetch=FetchConfig(
            allow_private_addresses=True,
            timeout=10,
            concurrency=16,
            per_host_concurrency=16,
            per_host_delay=0,
        ),
    )
    started = time.monotonic()
    async with runtime_for(config) as runtime:
        outcomes = await Poller(runtime).poll_all()
    elapsed = time.monotonic() - started

    assert len(outcomes) == len(files)
    bugs = [o for o in outcomes if o.error and "internal error" in o.error]
    assert bugs == []  # an unexpected exception is a bug in monitor, not in the feed
    parsed = [o for o in outcomes if o.error is None]
    errors = [o for o in outcomes if o.error is not None]
    assert all(o.feed.url in o.error for o in errors if o.error)  # each error names its feed
    real = [o for o in outcomes if "/real-world/" in o.feed.url]
    real_ok = [o for o in real if o.error is None and o.new_entries > 0]
    print(
        f"corpus: {len(files)} files in {elapsed:.1f}s: {len(parsed)} parsed, "
        f"{len(errors)} clean errors; real-world feeds with entries {len(real_ok)}/{len(real)}"
    )
    assert len(real_ok) >= len(real) - 3  # the truncated and non-feed ones may fail cleanly
    assert elapsed < 120
