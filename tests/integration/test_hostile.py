"""Hostile servers on loopback: every case ends in a clean recorded error (or, for a page
that announces its feed, in the feed) within its time limit, and memory stays bounded."""

from __future__ import annotations

import asyncio
import resource
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from monitor.config import Config, FeedConfig, FetchConfig
from monitor.runtime.poller import Poller
from monitor.runtime.processor import Processor
from tests.conftest import REPO, runtime_for
from tests.servers import ServerThread

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "ha">'
    + "".join(
        f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']><rss version="2.0"><channel><title>&a9;</title></channel></rss>'
).encode()
FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title>'
    "<item><title>a</title><link>{base}/page</link><guid>1</guid></item></channel></rss>"
)
HTML = '<html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head></html>'


def _bomb() -> bytes:
    """200 MB of spaces, gzipped to about 200 KB without ever holding the 200 MB."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * 1_000_000
    return b"".join(deflate.compress(chunk) for _ in range(200)) + deflate.flush()


async def _stream(
    request: web.Request, chunks: Iterator[bytes], pause: float
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await response.prepare(request)
    try:
        for chunk in chunks:
            await response.write(chunk)
            if pause:
                await asyncio.sleep(pause)
    except (ConnectionResetError, RuntimeError):
        pass
    return response


def _ssrf_feed(base: str) -> str:
    feed = FEED.format(base=base).replace(f"{base}/page", "http://169.254.169.254/latest/meta-data")
    extra = "<item><title>b</title><link>http://127.0.0.1:9/x</link><guid>2</guid></item>"
    return feed.replace("</channel>", extra + "</channel>")


def _hostile_app(state: dict[str, str]) -> web.Application:
    bomb = _bomb()
    rss = "application/rss+xml"
    answers = {
        "laughs": lambda r: web.Response(body=LAUGHS, content_type=rss),
        "bomb": lambda r: web.Response(
            body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": rss}
        ),
        "busy": lambda r: web.Response(status=429, headers={"Retry-After": "3600"}),
        "html": lambda r: web.Response(text=HTML, content_type="text/html"),
        "empty": lambda r: web.Response(body=b"", content_type=rss),
        "binary": lambda r: web.Response(
            body=bytes(range(256)) * 400, content_type="application/octet-stream"
        ),
        "feed": lambda r: web.Response(text=FEED.format(base=state["base"]), content_type=rss),
        "ssrf": lambda r: web.Response(text=_ssrf_feed(state["base"]), content_type=rss),
    }

    async def simple(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "loop":
            raise web.HTTPFound(f"/loop?{request.query_string}x")
        answer = answers.get(name)
        return answer(request) if answer else web.Response(status=404)

    async def endless(request: web.Request) -> web.StreamResponse:  # 2 GB if nobody stops
        return await _stream(request, iter([b"<item>" + b"x" * 65536] * 32768), 0)

    async def drip(request: web.Request) -> web.StreamResponse:  # one byte a second
        return await _stream(request, (bytes([b]) for b in b"<rss version='2.0'>" * 50), 1)

    app = web.Application()
    app.router.add_get("/endless", endless)
    app.router.add_get("/drip", drip)
    app.router.add_get("/{name}", simple)
    return app


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    state: dict[str, str] = {}
    server = ServerThread(_hostile_app(state)).start()
    state["base"] = server.url
    yield server.url
    server.stop()


EXPECTED = {
    "laughs": None,  # parsed without expanding anything (or a clean error)
    "endless": "larger than the",
    "bomb": "larger than the",
    "drip": "timed out after 3s",
    "loop": "more than 5 redirects",
    "busy": "HTTP 429",
    "html": "",  # the page announces its feed: followed
    "empty": "not an RSS/Atom feed",
    "binary": "not an RSS/Atom feed",
}


async def test_hostile_feeds_end_cleanly_in_time_and_memory(tmp_path: Path, hostile: str) -> None:
    feeds = [FeedConfig(url=f"{hostile}/{name}") for name in EXPECTED]
    config = Config(
        database=tmp_path / "m.db",
        rules=REPO / "rules",
        feeds=feeds,
        fetch=FetchConfig(
            allow_private_addresses=True,
            timeout=3,
            per_host_delay=0,
            per_host_concurrency=16,
            max_body_bytes=5_000_000,
        ),
    )
    started = time.monotonic()
    async with runtime_for(config) as runtime:
        outcomes = await Poller(runtime).poll_all()
    elapsed = time.monotonic() - started
    by_name = {o.feed.url.rsplit("/", 1)[1]: o for o in outcomes}
    for name, expected in EXPECTED.items():
        outcome = by_name[name]
        assert "internal error" not in (outcome.error or ""), (name, outcome.error)
        if expected:
            assert outcome.error and expected in outcome.error, (name, outcome.error)
            assert outcome.feed.url in outcome.error
    assert by_name["html"].error is None and by_name["html"].new_entries == 1
    assert elapsed < 15  # every case within its limits (the drip is cut at 3 s)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < 300, peak_mb


async def test_feed_links_to_private_addresses_are_refused(tmp_path: Path, hostile: str) -> None:
    config = Config(
        database=tmp_path / "m.db",
        rules=REPO / "rules",
        feeds=[FeedConfig(url=f"{hostile}/ssrf")],
        fetch=FetchConfig(per_host_delay=0),  # the guard is on; the feed URL itself is trusted
    )
    async with runtime_for(config) as runtime:
        (outcome,) = await Poller(runtime).poll_all()
        assert outcome.error is None and outcome.new_entries == 2
        await Processor(runtime).drain()
        errors = [r[0] for r in runtime.store.sync_db().execute("SELECT last_error FROM entries")]
    assert all("allow_private_addresses" in e for e in errors)
    assert any("169.254.169.254" in e for e in errors) and any("127.0.0.1" in e for e in errors)
