"""Feed status codes and hints: 410 stops polling, 301 moves the feed, 429/503 Retry-After
and failures back off, ttl / Cache-Control stretch the interval."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from monitor.clock import from_iso
from monitor.config import Config, FeedConfig, FetchConfig
from monitor.runtime.poller import Poller
from tests.conftest import REPO, runtime_for
from tests.servers import ServerThread

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><ttl>TTL</ttl>'
    b"<item><title>a</title><link>http://x.example/a</link></item></channel></rss>"
)


@pytest.fixture
def site() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        hits.append(name)
        if name == "gone":
            return web.Response(status=410)
        if name == "old":
            raise web.HTTPMovedPermanently("/new")
        if name == "busy":
            return web.Response(status=429, headers={"Retry-After": "7200"})
        if name == "down":
            return web.Response(status=503)
        ttl = b"600" if name == "slow" else b"0"
        headers = {"Cache-Control": "max-age=7200"} if name == "cached" else {}
        return web.Response(
            body=RSS.replace(b"TTL", ttl), content_type="application/rss+xml", headers=headers
        )

    app = web.Application()
    app.router.add_get("/{name}", handle)
    server = ServerThread(app).start()
    yield server.url, hits
    server.stop()


def _config(tmp_path: Path, base: str, names: list[str]) -> Config:
    return Config(
        database=tmp_path / "m.db",
        rules=REPO / "rules",
        feeds=[FeedConfig(url=f"{base}/{n}", interval="5m") for n in names],
        fetch=FetchConfig(allow_private_addresses=True, per_host_delay=0, per_host_concurrency=8),
    )


async def _poll(config: Config, at: datetime) -> dict[str, dict[str, object]]:
    async with runtime_for(config, lambda: at) as runtime:
        await Poller(runtime).poll_all()
        return {row["url"].rsplit("/", 1)[1]: row for row in await runtime.store.feed_status()}


async def test_status_codes_and_hints(tmp_path: Path, site: tuple[str, list[str]]) -> None:
    base, hits = site
    names = ["gone", "old", "busy", "down", "slow", "cached", "plain"]
    config = _config(tmp_path, base, names)
    status = await _poll(config, T0)

    assert status["gone"]["gone"] == 1 and "410 Gone" in str(status["gone"]["last_error"])
    assert str(status["old"]["fetch_url"]).endswith("/new") and status["old"]["last_error"] is None

    def next_poll(name: str) -> timedelta:
        value = from_iso(str(status[name]["next_poll_at"]))
        assert value is not None
        return value - T0

    assert next_poll("busy") >= timedelta(seconds=7200)  # Retry-After honoured
    assert timedelta(minutes=10) <= next_poll("down") <= timedelta(minutes=11)  # 5m x 2
    assert next_poll("slow") == timedelta(hours=10)  # ttl 600 minutes
    assert next_poll("cached") == timedelta(hours=2)  # Cache-Control max-age

    hits.clear()
    later = await _poll(config, T0 + timedelta(minutes=30))
    assert "gone" not in hits and "new" in hits and "old" not in hits  # moved, gone
    assert later["down"]["consecutive_failures"] == 2
    next_down = from_iso(str(later["down"]["next_poll_at"]))
    assert next_down is not None
    assert next_down - (T0 + timedelta(minutes=30)) >= timedelta(minutes=20)  # doubling
