"""The shared HTTP client: conditional GET, streamed reads with a size cap, bounded redirects.

Configured feed URLs are trusted; article URLs and redirect targets that leave the trusted
host go through the SSRF guard unless `fetch.allow_private_addresses` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from types import TracebackType
from urllib.parse import urljoin

import aiohttp
from yarl import URL

from monitor.clock import utcnow
from monitor.config import FetchConfig
from monitor.durations import retry_after_seconds
from monitor.errors import FetchError
from monitor.fetching.guard import GuardedResolver, check_host
from monitor.records import FetchResult

_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class _HostSlot:
    semaphore: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = float("-inf")


_CHUNK = 64 * 1024


class HttpClient:
    """One pair of connection pools for the daemon's life: trusted (feeds) and guarded."""

    def __init__(self, config: FetchConfig) -> None:
        self._config = config
        self._trusted: aiohttp.ClientSession | None = None
        self._guarded: aiohttp.ClientSession | None = None
        self._hosts: dict[str, _HostSlot] = {}

    async def __aenter__(self) -> HttpClient:
        timeout = aiohttp.ClientTimeout(total=self._config.timeout.total_seconds(), sock_connect=10)
        headers = {"User-Agent": self._config.user_agent, "Accept-Encoding": "gzip, deflate"}
        self._trusted = aiohttp.ClientSession(timeout=timeout, headers=headers)
        if self._config.allow_private_addresses:
            self._guarded = self._trusted
        else:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(), use_dns_cache=False)
            self._guarded = aiohttp.ClientSession(
                timeout=timeout, headers=headers, connector=connector
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for session in {self._trusted, self._guarded}:
            if session is not None:
                await session.close()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        trusted: bool = False,
    ) -> FetchResult:
        """GET `url`; raises FetchError for anything but 2xx/304, naming the URL and the cause."""
        try:
            return await self._follow(url, etag, last_modified, trusted)
        except FetchError as e:
            if e.url == url:
                raise
            raise type(e)(url, e.reason, status=e.status, retry_after=e.retry_after) from None
        except TimeoutError:
            seconds = self._config.timeout.total_seconds()
            raise FetchError(url, f"timed out after {seconds:g}s") from None
        except aiohttp.ClientError as e:
            raise FetchError(url, f"{type(e).__name__}: {e}") from None

    async def _follow(
        self, url: str, etag: str | None, last_modified: str | None, trusted: bool
    ) -> FetchResult:
        trusted_host = URL(url).host if trusted else None
        current, permanent, hops = url, True, 0
        for _ in range(self._config.max_redirects + 1):
            session = await self._session_for(current, trusted_host)
            headers = _conditional_headers(etag, last_modified)
            async with (
                self._polite(current),
                session.get(current, headers=headers, allow_redirects=False) as resp,
            ):
                if resp.status in _REDIRECTS and "Location" in resp.headers:
                    current = urljoin(current, resp.headers["Location"])
                    permanent = permanent and resp.status in (301, 308)
                    hops += 1
                    continue
                result = await self._result(current, resp)
                moved = current if hops and permanent else None
                return replace(result, moved_to=moved) if moved else result
        raise FetchError(url, f"more than {self._config.max_redirects} redirects")

    @contextlib.asynccontextmanager
    async def _polite(self, url: str) -> AsyncIterator[None]:
        """At most `per_host_concurrency` requests to a host at once, `per_host_delay` apart."""
        host = URL(url).host or ""
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = _HostSlot(
                asyncio.Semaphore(self._config.per_host_concurrency)
            )
        async with slot.semaphore:
            async with slot.lock:
                loop = asyncio.get_running_loop()
                wait = slot.last + self._config.per_host_delay - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                slot.last = loop.time()
            yield

    async def _session_for(self, url: str, trusted_host: str | None) -> aiohttp.ClientSession:
        assert self._trusted is not None and self._guarded is not None, "use `async with`"
        parsed = URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise FetchError(url, "only http:// and https:// URLs can be fetched")
        if trusted_host is not None and parsed.host == trusted_host:
            return self._trusted
        if not self._config.allow_private_addresses:
            check_host(url, parsed.host)
        return self._guarded

    async def _result(self, url: str, resp: aiohttp.ClientResponse) -> FetchResult:
        if resp.status == 304:
            return FetchResult(status="not_modified", url=url)
        if resp.status >= 400:
            raise FetchError(
                url,
                f"HTTP {resp.status} {resp.reason or ''}".rstrip(),
                status=resp.status,
                retry_after=retry_after_seconds(resp.headers.get("Retry-After"), utcnow()),
            )
        body = gunzip_capped(url, await self._read_capped(url, resp), self._config.max_body_bytes)
        headers = {k.lower(): v for k, v in resp.headers.items()}
        return FetchResult(
            status="ok",
            url=url,
            body=body,
            headers=headers,
            max_age=_max_age(headers.get("cache-control")),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
        )

    async def _read_capped(self, url: str, resp: aiohttp.ClientResponse) -> bytes:
        cap = self._config.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise FetchError(url, f"response larger than the {cap:,}-byte cap")
            chunks.append(chunk)
        return b"".join(chunks)


def _max_age(cache_control: str | None) -> float | None:
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return float(match.group(1)) if match else None


def gunzip_capped(url: str, body: bytes, cap: int) -> bytes:
    """Gzip bytes served without Content-Encoding (it happens): inflate, within the cap."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, cap + 1)
    except zlib.error:
        return body  # not gzip after all: let the parser say what it is
    if len(out) > cap or inflater.unconsumed_tail:
        raise FetchError(url, f"response larger than the {cap:,}-byte cap once decompressed")
    return out


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers
