"""Through the real poller: a feed whose item says `Fri, 31 Dec 9999 23:59:59 -0500` is polled,
stored and scheduled like any other; only that item's date is unknown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from monitor.config import Config, FeedConfig, FetchConfig
from monitor.runtime.poller import Poller
from tests.conftest import REPO, runtime_for
from tests.servers import ServerThread

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
DATES = [
    "Wed, 31 Dec 2025 09:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 -0500",
    "Tue, 30 Dec 2025 09:00:00 GMT",
    "Mon, 29 Dec 2025 09:00:00 GMT",
]


def _rss(doctype: bool) -> bytes:
    items = "".join(
        f"<item><title>Story {i}</title><link>https://n.example/{i}</link>"
        f"<pubDate>{date}</pubDate></item>"
        for i, date in enumerate(DATES)
    )
    head = '<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "">' if doctype else ""
    return (
        f'<?xml version="1.0"?>{head}<rss version="2.0"><channel><title>N</title>'
        f"{items}</channel></rss>"
    ).encode()


@pytest.fixture
def feed_server() -> Iterator[str]:
    async def serve(request: web.Request) -> web.Response:
        body = _rss(doctype=request.match_info["name"] == "doctype")
        return web.Response(body=body, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{name}.xml", serve)
    server = ServerThread(app).start()
    yield server.url
    server.stop()


async def test_a_year_9999_item_costs_only_its_own_date(tmp_path: Path, feed_server: str) -> None:
    urls = [f"{feed_server}/plain.xml", f"{feed_server}/doctype.xml"]  # fast path, feedparser
    config = Config(
        database=tmp_path / "monitor.db",
        rules=REPO / "rules",
        feeds=[FeedConfig(url=url) for url in urls],
        fetch=FetchConfig(allow_private_addresses=True, per_host_delay=0),
    )
    async with runtime_for(config, lambda: NOW) as runtime:
        outcomes = await Poller(runtime).poll_all()
        rows = (
            runtime.store.sync_db()
            .execute(
                "SELECT f.url, e.url, e.published FROM entries e JOIN feeds f ON f.id = e.feed_id"
            )
            .fetchall()
        )

    assert [(o.error, o.new_entries) for o in outcomes] == [(None, 4), (None, 4)]
    for url in urls:
        published = {entry: stored for feed, entry, stored in rows if feed == url}
        assert published == {
            "https://n.example/0": "2025-12-31T09:00:00+00:00",
            "https://n.example/1": None,
            "https://n.example/2": "2025-12-30T09:00:00+00:00",
            "https://n.example/3": "2025-12-29T09:00:00+00:00",
        }
