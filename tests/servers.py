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
import time
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
    full_content: bool = False  # items carry the article body as content:encoded


@dataclass
class NewsSite:
    """Feeds under /feeds/<name>.xml and pages under /articles/<name>."""

    pages: dict[str, bytes] = field(default_factory=sample_pages)
    feeds: dict[str, FeedSpec] = field(default_factory=dict)
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path, status)
    article_failures: dict[str, int] = field(default_factory=dict)  # name -> 503s still to give
    hang_seconds: float = 5.0
    robots: str | None = None  # robots.txt, when the site has one
    # While set and not open, article requests wait at the gate (tests open it once they
    # have seen what they wait for, e.g. every replica holding work).
    article_gate: threading.Event | None = None
    # The same for the feeds named in `gated_feeds`.
    feed_gate: threading.Event | None = None
    gated_feeds: set[str] = field(default_factory=set)
    served: dict[str, int] = field(default_factory=dict)  # article name -> times served
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
                f"<pubDate>{date}</pubDate>{self._content(name, spec)}</item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{escape(spec.title)}</title><link>{self.url}/</link>"
            f"<description>test</description>{''.join(items)}</channel></rss>"
        )

    def _content(self, name: str, spec: FeedSpec) -> str:
        if not spec.full_content:
            return ""
        root = lxml.html.document_fromstring(self.pages[name])
        body = "".join(
            lxml.html.tostring(p, encoding="unicode") for p in root.xpath("//article//p")
        )
        return f"<content:encoded><![CDATA[{body}]]></content:encoded>"

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        while (
            self.feed_gate is not None and name in self.gated_feeds and not self.feed_gate.is_set()
        ):
            await asyncio.sleep(0.01)
        spec = self.feeds.get(name)
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
        while self.article_gate is not None and not self.article_gate.is_set():
            await asyncio.sleep(0.01)
        self.served[name] = self.served.get(name, 0) + 1
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

    async def _robots(self, request: web.Request) -> web.Response:
        if self.robots is None:
            return self._log(request, web.Response(status=404))
        return self._log(request, web.Response(text=self.robots))

    async def _home(self, request: web.Request) -> web.Response:
        """A home page that announces its feed, for autodiscovery."""
        links = "".join(
            f'<link rel="alternate" type="application/rss+xml" '
            f'href="/feeds/{name}.xml" title="{name}">'
            for name in self.feeds
        )
        return self._log(
            request,
            web.Response(
                text=f"<html><head><title>Test News</title>{links}</head><body>Hi</body></html>",
                content_type="text/html",
            ),
        )

    def start(self) -> NewsSite:
        app = web.Application()
        app.router.add_get("/", self._home)
        app.router.add_get("/robots.txt", self._robots)
        app.router.add_get("/feeds/{name}.xml", self._feed)
        app.router.add_get("/articles/{name}", self._article)
        self.server = ServerThread(app).start()
        return self


FULL_SCOPES = frozenset(
    "chat:write chat:write.public channels:read groups:read channels:history groups:history".split()
)
_LIST_SCOPES = {"public_channel": "channels:read", "private_channel": "groups:read"}


@dataclass
class FakeSlack:
    """The parts of the Slack Web API monitor uses, answering as Slack does.

    auth.test; chat.postMessage and chat.update (POST); conversations.history, .replies, .list
    and .info (GET only, as slack-sdk sends them: another verb gets 405). Every call checks the
    bearer token (`not_authed`, `invalid_auth`) and the token's `scopes` (`missing_scope` with
    `needed` and `provided`), and every answer to a valid token lists its scopes in the
    `x-oauth-scopes` header. Every channel a post names exists (but `missing_channels`), even
    when the post fails; those in `private_channels` get `G…` IDs and need the groups:* scopes.
    Records everything and injects faults on request (see `fail_next`)."""

    token: str = SLACK_TOKEN
    scopes: set[str] = field(default_factory=lambda: set(FULL_SCOPES))
    posts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (HTTP verb, API method)
    failures: list[dict[str, Any]] = field(default_factory=list)  # next faults, in order
    latency: float = 0.0
    channels: dict[str, str] = field(default_factory=dict)  # name -> ID
    private_channels: set[str] = field(default_factory=set)  # names
    missing_channels: set[str] = field(default_factory=set)  # answer channel_not_found
    server: ServerThread | None = None

    @property
    def api_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/api/"

    def fail_next(
        self,
        count: int = 1,
        status: int = 200,
        error: str = "internal_error",
        *,
        method: str = "chat.postMessage",
        retry_after: int | str | None = None,
        delay: float = 0.0,
        post_anyway: bool = False,
    ) -> None:
        """The next `count` calls of `method` fail: an error answer (HTTP `status`), a 429 with
        Retry-After (seconds or an HTTP date), a `delay` before answering (a timeout for the
        client), and with `post_anyway` the message is posted before the failure (the
        ambiguous case). Faults of chat.postMessage apply to webhook posts too."""
        fault = {
            "method": method,
            "status": status,
            "error": error,
            "retry_after": retry_after,
            "delay": delay,
            "post_anyway": post_anyway,
        }
        self.failures.extend([fault] * count)

    def alert_ids(self) -> list[int]:
        return [p["metadata"]["event_payload"]["alert_id"] for p in self.posts if p.get("metadata")]

    def _channel_id(self, channel: str) -> str:
        if channel.startswith(("C", "G")) and not channel.startswith("#"):
            return channel
        prefix = "G" if channel in self.private_channels else "C"
        return self.channels.setdefault(channel, f"{prefix}{len(self.channels) + 1:08d}")

    async def _payload(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            payload: dict[str, Any] = await request.json()
            return payload
        payload = dict(await request.post())
        for key in ("blocks", "metadata"):
            if isinstance(payload.get(key), str):
                payload[key] = json.loads(payload[key])
        return payload

    def _needed(self, method: str, payload: dict[str, Any]) -> list[str]:
        """The scopes `method` needs for this call that the token lacks."""
        if method in ("chat.postMessage", "chat.update"):
            needed = ["chat:write"]
        elif method in ("conversations.history", "conversations.replies"):
            private = str(payload.get("channel", "")).startswith("G")
            needed = ["groups:history" if private else "channels:history"]
        elif method == "conversations.info":
            private = str(payload.get("channel", "")).startswith("G")
            needed = ["groups:read" if private else "channels:read"]
        elif method == "conversations.list":
            types = str(payload.get("types") or "public_channel").split(",")
            needed = [_LIST_SCOPES[t] for t in types if t in _LIST_SCOPES]
        else:
            needed = []
        return [scope for scope in needed if scope not in self.scopes]

    @web.middleware
    async def _api(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Verb, token and scope checks, the `x-oauth-scopes` header, and injected faults."""
        if not request.path.startswith("/api/"):
            response: web.StreamResponse = await handler(request)
            return response
        method = request.path.removeprefix("/api/")
        self.calls.append((request.method, method))
        if request.match_info.http_exception is not None:
            raise request.match_info.http_exception  # 405 for a wrong verb
        authorization = request.headers.get("Authorization")
        if not authorization:
            return web.json_response({"ok": False, "error": "not_authed"})
        if authorization != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        headers = {"x-oauth-scopes": ",".join(sorted(self.scopes))}
        payload = await self._payload(request)  # the body is cached: handlers read it again
        if needed := self._needed(method, payload):
            answer = {
                "ok": False,
                "error": "missing_scope",
                "needed": ",".join(needed),
                "provided": headers["x-oauth-scopes"],
            }
            return web.json_response(answer, headers=headers)
        if method == "chat.postMessage" and payload.get("channel") not in self.missing_channels:
            self._channel_id(str(payload.get("channel")))  # the workspace has it, posted or not
        if method == "chat.postMessage" and self.latency:
            await asyncio.sleep(self.latency)
        fault = self._next_fault(method)
        if fault is not None:
            if fault["post_anyway"]:
                self._post(payload)
            return await self._fault_response(fault, headers)
        response = await handler(request)
        response.headers.update(headers)
        return response

    def _next_fault(self, method: str) -> dict[str, Any] | None:
        for index, fault in enumerate(self.failures):
            if fault["method"] == method:
                return self.failures.pop(index)
        return None

    async def _fault_response(
        self, fault: dict[str, Any], headers: dict[str, str], *, webhook: bool = False
    ) -> web.Response:
        if fault["delay"]:
            await asyncio.sleep(fault["delay"])
        if fault["retry_after"] is not None:
            headers = {**headers, "Retry-After": str(fault["retry_after"])}
        status = 429 if fault["retry_after"] is not None else fault["status"]
        error = "ratelimited" if fault["retry_after"] is not None else fault["error"]
        if webhook:
            return web.Response(status=status, text=error, headers=headers)
        if status == 405 or status >= 500:
            return web.Response(status=status, text=error, headers=headers)  # not Slack JSON
        return web.json_response({"ok": False, "error": error}, status=status, headers=headers)

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel_id = self._channel_id(payload["channel"])
        ts = f"{int(time.time())}.{len(self.posts) + 1:06d}"  # like Slack's: time, unique
        self.posts.append({**payload, "ts": ts, "channel_id": channel_id})
        return {"ok": True, "channel": channel_id, "ts": ts}

    async def _auth_test(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "ok": True,
                "url": "https://fake-team.slack.com/",
                "team": "Fake Team",
                "user": "monitor",
                "team_id": "T00000001",
                "user_id": "U00000001",
                "bot_id": "B00000001",
            }
        )

    async def _post_message(self, request: web.Request) -> web.Response:
        payload = await self._payload(request)
        if not payload.get("channel") or payload["channel"] in self.missing_channels:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        return web.json_response(self._post(payload))

    async def _update(self, request: web.Request) -> web.Response:
        payload = await self._payload(request)
        self.updates.append(payload)
        return web.json_response({"ok": True, "channel": payload["channel"], "ts": payload["ts"]})

    def _messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [
            {
                "ts": p["ts"],
                "text": p["text"],
                "metadata": p.get("metadata"),
                "thread_ts": p.get("thread_ts"),
            }
            for p in self.posts
            if p["channel_id"] == channel_id
        ]

    @staticmethod
    def _page(query: dict[str, Any], messages: list[dict[str, Any]]) -> web.Response:
        """One page of `messages`, with Slack's cursor pagination (`limit`, `cursor`)."""
        start = int(query.get("cursor") or 0)
        end = start + int(query.get("limit") or 100)
        more = end < len(messages)
        return web.json_response(
            {
                "ok": True,
                "messages": messages[start:end],
                "has_more": more,
                "response_metadata": {"next_cursor": str(end) if more else ""},
            }
        )

    async def _history(self, request: web.Request) -> web.Response:
        query = await self._payload(request)
        oldest = float(query.get("oldest") or 0)
        messages = [
            m
            for m in self._messages(query["channel"])
            if not m["thread_ts"] and float(m["ts"]) >= oldest
        ]
        return self._page(query, messages[::-1])

    async def _replies(self, request: web.Request) -> web.Response:
        query = await self._payload(request)
        messages = [
            m
            for m in self._messages(query["channel"])
            if m["ts"] == query["ts"] or m["thread_ts"] == query["ts"]
        ]
        return self._page(query, messages)

    def _channel(self, name: str, cid: str) -> dict[str, Any]:
        return {"id": cid, "name": name.lstrip("#"), "is_private": cid.startswith("G")}

    async def _list(self, request: web.Request) -> web.Response:
        query = await self._payload(request)
        types = str(query.get("types") or "public_channel").split(",")
        channels = [
            self._channel(name, cid)
            for name, cid in self.channels.items()
            if ("private_channel" if cid.startswith("G") else "public_channel") in types
        ]
        return web.json_response(
            {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}
        )

    async def _info(self, request: web.Request) -> web.Response:
        cid = (await self._payload(request)).get("channel", "")
        for name, known in self.channels.items():
            if known == cid:
                return web.json_response({"ok": True, "channel": self._channel(name, cid)})
        return web.json_response({"ok": False, "error": "channel_not_found"})

    async def _webhook(self, request: web.Request) -> web.Response:
        """An incoming webhook: /webhook/ok posts; /webhook/gone answers 404 no_service."""
        if request.match_info["hook"] != "ok":
            return web.Response(status=404, text="no_service")
        fault = self._next_fault("chat.postMessage")
        if fault is not None:
            return await self._fault_response(fault, {}, webhook=True)
        payload = await request.json()
        self.posts.append({**payload, "channel_id": "webhook", "ts": None})
        return web.Response(text="ok")

    def start(self) -> FakeSlack:
        app = web.Application(middlewares=[self._api])
        app.router.add_route("*", "/api/auth.test", self._auth_test)  # Slack takes any verb
        app.router.add_post("/api/chat.postMessage", self._post_message)
        app.router.add_post("/api/chat.update", self._update)
        app.router.add_get("/api/conversations.history", self._history, allow_head=False)
        app.router.add_get("/api/conversations.replies", self._replies, allow_head=False)
        app.router.add_get("/api/conversations.list", self._list, allow_head=False)
        app.router.add_get("/api/conversations.info", self._info, allow_head=False)
        app.router.add_post("/webhook/{hook}", self._webhook)
        self.server = ServerThread(app).start()
        return self
