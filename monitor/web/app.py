"""The web pages, /healthz and /metrics: an aiohttp application over the Store.

Pages are rendered on the server from Jinja2 templates (autoescaped: article text, titles
and quotes are the web's, never trusted) with a little CSS and no JavaScript. The daemon
serves them beside its stage loops (`server.listen`); `monitor web` serves them alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote as urlquote

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.clock import utcnow
from monitor.errors import StorageError
from monitor.runtime.health import Health
from monitor.runtime.metrics import Metrics
from monitor.storage import Store
from monitor.web import queries
from monitor.web.security import COOKIE, Guard

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_MARKED = re.compile(r"«(.*?)»", re.S)


@dataclass
class Site:
    store: Store
    guard: Guard
    metrics: Metrics
    health: Health | None  # the daemon's; None under `monitor web`
    on_retry: Callable[[], None] | None = None  # wake the deliverer (in the daemon)
    now: Callable[[], datetime] = utcnow


def marked(snippet: str) -> list[tuple[str, bool]]:
    """A search snippet with «matched» words as (text, matched) pieces, for escaping."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for m in _MARKED.finditer(snippet):
        pieces.append((snippet[last : m.start()], False))
        pieces.append((m.group(1), True))
        last = m.end()
    pieces.append((snippet[last:], False))
    return [p for p in pieces if p[0]]


def highlighted(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The article text as (text, in a quote) pieces: the statements' spans marked."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(s for s in spans if 0 <= s[0] < s[1] <= len(text)):
        if start < at:
            continue
        pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    pieces.append((text[at:], False))
    return [p for p in pieces if p[0]]


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M UTC") if d else "—"
    env.filters["urlquote"] = lambda s: urlquote(str(s), safe="")
    env.globals["marked"] = marked
    return env


class Pages:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.env = _env()

    def render(
        self, request: web.Request, name: str, status: int = 200, **context: Any
    ) -> web.Response:
        template = self.env.get_template(name)
        body = template.render(csrf=self.site.guard.csrf(request), path=request.path, **context)
        return web.Response(text=body, status=status, content_type="text/html")

    async def stories(self, request: web.Request) -> web.Response:
        page = max(0, int(request.query.get("page", "0") or 0))
        found = await self.site.store.view(queries.stories, page)
        return self.render(request, "stories.html", stories=found, page=page)

    async def story(self, request: web.Request) -> web.Response:
        story_id = int(request.match_info["id"])
        found = await self.site.store.view(queries.stories, 0, story_id)
        if not found:
            raise web.HTTPNotFound(text=f"no story {story_id}")
        return self.render(request, "story.html", story=found[0])

    async def speakers(self, request: web.Request) -> web.Response:
        found = await self.site.store.view(queries.speakers)
        return self.render(request, "speakers.html", speakers=found)

    async def speaker(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        rule = request.query.get("rule") or None
        said = await self.site.store.view(queries.said_by, name, rule)
        rules = await self.site.store.view(queries.rule_names)
        return self.render(request, "speaker.html", speaker=name, said=said, rules=rules, rule=rule)

    async def articles(self, request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()
        speaker = request.query.get("speaker", "").strip() or None
        hits = None
        if query:
            hits = await self.site.store.search(query, speaker=speaker, limit=50)
        recent = await self.site.store.view(queries.recent_articles) if not query else []
        return self.render(
            request, "articles.html", q=query, speaker=speaker or "", hits=hits, recent=recent
        )

    async def article(self, request: web.Request) -> web.Response:
        article_id = int(request.match_info["id"])
        found = await self.site.store.view(queries.article, article_id)
        if found is None:
            raise web.HTTPNotFound(text=f"no article {article_id}")
        pieces = highlighted(found.text, [(s.start, s.end) for s in found.statements])
        return self.render(request, "article.html", article=found, pieces=pieces)

    async def feeds(self, request: web.Request) -> web.Response:
        status = await self.site.store.feed_status()
        per_day = await self.site.store.view(queries.articles_per_day, self.site.now())
        days = [
            (self.site.now() - timedelta(days=n)).strftime("%Y-%m-%d") for n in range(6, -1, -1)
        ]
        return self.render(request, "feeds.html", feeds=status, per_day=per_day, days=days)

    async def rules(self, request: web.Request) -> web.Response:
        now = self.site.now()
        activity = await self.site.store.view(queries.rule_activity, now)
        problems = await self.site.store.recent_problems(now - timedelta(days=7))
        return self.render(request, "rules.html", activity=activity, problems=problems)

    async def outbox(self, request: web.Request) -> web.Response:
        items = await self.site.store.view(queries.outbox_items)
        counts = await self.site.store.outbox_counts()
        return self.render(request, "outbox.html", items=items, counts=counts)

    async def retry(self, request: web.Request) -> web.Response:
        form = await request.post()
        given = form.get("csrf")
        if not self.site.guard.csrf_ok(request, given if isinstance(given, str) else None):
            raise web.HTTPForbidden(
                text="the form's CSRF token is missing or wrong; reload the page"
            )
        alert_id = int(request.match_info["id"])
        force = form.get("force") == "1"
        await self.site.store.requeue_alerts([alert_id], force=force)
        log.info("alert %d re-queued from the web page", alert_id)
        if self.site.on_retry:
            self.site.on_retry()
        raise web.HTTPSeeOther("/outbox")

    async def login_form(self, request: web.Request) -> web.Response:
        return self.render(request, "login.html", status=200, failed=False)

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        given = form.get("token")
        if not isinstance(given, str) or not self.site.guard.accepts(given.strip()):
            return self.render(request, "login.html", status=401, failed=True)
        response = web.HTTPSeeOther("/stories")
        response.set_cookie(COOKIE, given.strip(), httponly=True, samesite="Strict", path="/")
        raise response

    async def healthz(self, request: web.Request) -> web.Response:
        reasons = self.site.health.reasons() if self.site.health else []
        try:
            await self.site.store.check()
        except StorageError as e:
            reasons.append(f"database: {e}")
        if reasons:
            return web.Response(text="unhealthy\n" + "\n".join(reasons) + "\n", status=503)
        return web.Response(text="ok\n")

    async def metrics(self, request: web.Request) -> web.Response:
        m = self.site.metrics
        try:
            m.pending.set((await self.site.store.outbox_counts())["pending"])
            oldest = await self.site.store.oldest_pending()
            m.outbox_age.set((self.site.now() - oldest).total_seconds() if oldest else 0)
        except StorageError as e:
            log.warning("metrics: could not read the outbox: %s", e)
        return web.Response(body=m.text(), content_type="text/plain", charset="utf-8")

    async def style(self, request: web.Request) -> web.Response:
        css = self.env.loader.get_source(self.env, "style.css")[0]  # type: ignore[union-attr]
        return web.Response(text=css, content_type="text/css")


def make_app(site: Site) -> web.Application:
    pages = Pages(site)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not site.guard.allowed(request):
            if request.headers.get("Accept", "").startswith("text/html"):
                return pages.render(request, "login.html", status=401, failed=False)
            return web.Response(status=401, text="401: a token is required (Bearer or login)\n")
        response = await handler(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; script-src 'none'"
        )
        return response

    app = web.Application(middlewares=[guard])
    app.router.add_get("/", _home)
    app.router.add_get("/stories", pages.stories)
    app.router.add_get("/stories/{id:\\d+}", pages.story)
    app.router.add_get("/speakers", pages.speakers)
    app.router.add_get("/speakers/{name}", pages.speaker)
    app.router.add_get("/articles", pages.articles)
    app.router.add_get("/articles/{id:\\d+}", pages.article)
    app.router.add_get("/feeds", pages.feeds)
    app.router.add_get("/rules", pages.rules)
    app.router.add_get("/outbox", pages.outbox)
    app.router.add_post("/outbox/{id:\\d+}/retry", pages.retry)
    app.router.add_get("/login", pages.login_form)
    app.router.add_post("/login", pages.login)
    app.router.add_get("/healthz", pages.healthz)
    app.router.add_get("/metrics", pages.metrics)
    app.router.add_get("/style.css", pages.style)
    return app


async def _home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/stories")
