"""Local test servers (aiohttp, loopback only): a news site with feeds and article pages,
and a fake Slack Web API that the real slack-sdk client talks to.

Each server runs in its own thread and event loop, so tests can drive it from in-process
async code or from a `monitor` subprocess alike.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

import lxml.html
from aiohttp import web

from monitor.demo import sample_pages

SLACK_TOKEN = "xoxb-test-0000-secret-token"


class ServerThread:
    """Runs an aiohttp application on 127.0.0.1:<free port> in a background thread."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.url = ""

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self._app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self._runner = runner
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def start(self) -> ServerThread:
        self._thread.start()
        assert self._started.wait(10), "test server did not start"
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def page_meta(body: bytes) -> tuple[str, str]:
    root = lxml.html.document_fromstring(body)
    title = root.xpath("string(//meta[@property='og:title']/@content)")
    published = root.xpath("string(//meta[@property='article:published_time']/@content)")
    return title, published


@dataclass
class FeedSpec:
    """What one feed serves: its items (page names) and how it misbehaves, if at all."""

    items: list[str]
    mode: str = "ok"  # ok | error500 | timeout | garbage
    title: str = "Test News"


@dataclass
class NewsSite:
    """Feeds under /feeds/<name>.xml and pages under /articles/<name>."""

    pages: dict[str, bytes] = field(default_factory=sample_pages)
    feeds: dict[str, FeedSpec] = field(default_factory=dict)
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path, status)
    article_failures: dict[str, int] = field(default_factory=dict)  # name -> 503s still to give
    hang_seconds: float = 5.0
    server: ServerThread | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def feed_url(self, name: str) -> str:
        return f"{self.url}/feeds/{name}.xml"

    def article_url(self, name: str) -> str:
        return f"{self.url}/articles/{name}"

    def statuses(self, path: str) -> list[int]:
        return [status for p, status in self.requests if p == path]

    def rss(self, spec: FeedSpec) -> str:
        items = []
        for name in spec.items:
            title, published = page_meta(self.pages[name])
            date = format_datetime(datetime.fromisoformat(published)) if published else ""
            items.append(
                f"<item><title>{escape(title)}</title>"
                f"<link>{self.article_url(name)}?utm_source=feed&amp;utm_medium=rss</link>"
                f'<guid isPermaLink="false">{escape(name)}</guid>'
                f"<pubDate>{date}</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(spec.title)}</title><link>{self.url}/</link>"
            f"<description>test</description>{''.join(items)}</channel></rss>"
        )

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        spec = self.feeds.get(request.match_info["name"])
        if spec is None:
            return self._log(request, web.Response(status=404))
        if spec.mode == "error500":
            return self._log(request, web.Response(status=500, text="Internal Server Error"))
        if spec.mode == "timeout":
            await asyncio.sleep(self.hang_seconds)
        if spec.mode == "garbage":
            body = b"\x00\x89PNG not a feed <<<>>> \xff\xfe" * 20
            return self._log(request, web.Response(body=body, content_type="text/html"))
        body = self.rss(spec).encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return self._log(request, web.Response(status=304, headers={"ETag": etag}))
        response = web.Response(
            body=body, content_type="application/rss+xml", headers={"ETag": etag}
        )
        return self._log(request, response)

    async def _article(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if self.article_failures.get(name, 0) > 0:
            self.article_failures[name] -= 1
            return self._log(request, web.Response(status=503, headers={"Retry-After": "60"}))
        body = self.pages.get(name)
        if body is None:
            return self._log(request, web.Response(status=404))
        return self._log(
            request, web.Response(body=body, content_type="text/html", charset="utf-8")
        )

    def _log(self, request: web.Request, response: web.Response) -> web.Response:
        self.requests.append((request.path, response.status))
        return response

    def start(self) -> NewsSite:
        app = web.Application()
        app.router.add_get("/feeds/{name}.xml", self._feed)
        app.router.add_get("/articles/{name}", self._article)
        self.server = ServerThread(app).start()
        return self


@dataclass
class FakeSlack:
    """The parts of the Slack Web API we use; checks the bearer token, records every post."""

    token: str = SLACK_TOKEN
    posts: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # next responses
    server: ServerThread | None = None

    @property
    def api_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/api/"

    def fail_next(self, count: int, status: int = 200, error: str = "internal_error") -> None:
        self.failures.extend([(status, {"ok": False, "error": error})] * count)

    async def _post_message(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if self.failures:
            status, payload = self.failures.pop(0)
            return web.json_response(payload, status=status)
        if request.content_type == "application/json":
            payload = await request.json()
        else:
            payload = dict(await request.post())
            if isinstance(payload.get("blocks"), str):
                payload["blocks"] = json.loads(payload["blocks"])
        if not payload.get("channel"):
            return web.json_response({"ok": False, "error": "channel_not_found"})
        self.posts.append(payload)
        ts = f"1700000000.{len(self.posts):06d}"
        return web.json_response({"ok": True, "channel": payload["channel"], "ts": ts})

    def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/chat.postMessage", self._post_message)
        self.server = ServerThread(app).start()
        return self
