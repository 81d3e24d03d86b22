"""`monitor demo`: the whole pipeline with no network and no Slack.

A feed server on loopback serves the sample articles in `pages/` (built from five real news
reports on US statements about Ukraine and NATO); one cycle runs against a throwaway
database with the shipped rules, and the alerts are printed.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

import lxml.html
from aiohttp import web

from monitor.alerts import Sender
from monitor.config import Config, FeedConfig, FetchConfig
from monitor.matching.rules import shipped_rules_dir
from monitor.runtime import RunReport, run_once

PAGES = "pages"


def sample_pages() -> dict[str, bytes]:
    """The shipped sample article pages, by file name."""
    folder = resources.files("monitor.demo") / PAGES
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name.endswith(".html")}


def rss_feed(base_url: str, pages: dict[str, bytes], title: str = "Demo news feed") -> str:
    """An RSS 2.0 feed listing the pages, with titles and dates taken from their metadata."""
    items = []
    for name, body in sorted(pages.items()):
        root = lxml.html.document_fromstring(body)
        head_title = root.xpath("string(//meta[@property='og:title']/@content)")
        published = root.xpath("string(//meta[@property='article:published_time']/@content)")
        items.append(
            f"<item><title>{escape(head_title)}</title>"
            f"<link>{base_url}/articles/{name}?utm_source=rss</link>"
            f'<guid isPermaLink="false">demo-{name}</guid>'
            f"<pubDate>{_rfc822(published)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{base_url}/</link>"
        f"<description>Sample articles for monitor</description>{''.join(items)}"
        "</channel></rss>\n"
    )


def _rfc822(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso))


@contextlib.asynccontextmanager
async def serve_samples() -> AsyncIterator[str]:
    """Serve the feed and pages on 127.0.0.1 (a free port); yield the feed URL."""
    pages = sample_pages()
    state: dict[str, str] = {}

    async def feed(_: web.Request) -> web.Response:
        return web.Response(text=rss_feed(state["base"], pages), content_type="application/rss+xml")

    async def article(request: web.Request) -> web.Response:
        body = pages.get(request.match_info["name"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/articles/{name}", article)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state["base"] = f"http://127.0.0.1:{port}"
    try:
        yield f"{state['base']}/feed.xml"
    finally:
        await runner.cleanup()


async def run_demo(sender: Sender) -> tuple[RunReport, RunReport]:
    """One cycle on the samples, then a second one that must find nothing new."""
    async with serve_samples() as feed_url:
        with tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp:
            config = Config(
                database=Path(tmp) / "demo.db",
                rules=shipped_rules_dir(),
                feeds=[FeedConfig(url=feed_url, name="Demo news feed")],
                fetch=FetchConfig(allow_private_addresses=True, per_host_delay=0),  # loopback
            )
            first = await run_once(config, sender)
            second = await run_once(config, sender)
    return first, second
