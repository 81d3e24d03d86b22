"""robots.txt for article pages: fetched once per host (cached a day), parsed with protego.

A missing robots.txt (404) or one that cannot be fetched allows everything, as crawlers do;
a 401/403 on robots.txt itself is read as "disallow all".
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from monitor.errors import FetchError
from monitor.fetching.http import HttpClient

CACHE_SECONDS = 86400.0
_ALLOW_ALL = Protego.parse("")
_DISALLOW_ALL = Protego.parse("User-agent: *\nDisallow: /\n")


@dataclass
class RobotsCache:
    http: HttpClient
    user_agent: str
    _rules: dict[str, tuple[float, Protego]] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._locks.setdefault(origin, asyncio.Lock()):  # one fetch per host
            cached = self._rules.get(origin)
            if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
                cached = (time.monotonic(), await self._load(origin))
                self._rules[origin] = cached
        allowed: bool = cached[1].can_fetch(url, self.user_agent)
        return allowed

    async def _load(self, origin: str) -> Protego:
        try:
            result = await self.http.fetch(f"{origin}/robots.txt")
        except FetchError as e:
            return _DISALLOW_ALL if e.status in (401, 403) else _ALLOW_ALL
        return Protego.parse(result.body.decode("utf-8", errors="replace"))
