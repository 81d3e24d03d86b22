"""The HTTP client against a local server: caps, redirects, conditional GET, SSRF guard."""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator

import pytest
from aiohttp import web

from monitor.config import FetchConfig
from monitor.errors import BlockedAddressError, FetchError
from monitor.fetching import HttpClient
from tests.servers import ServerThread

BIG = b"x" * 300_000


def _app(seen: list[dict[str, str]]) -> web.Application:
    async def conditional(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(
            text="body", headers={"ETag": '"v1"', "Last-Modified": "Mon, 17 Jun 2024 18:00:00 GMT"}
        )

    async def big(_: web.Request) -> web.Response:
        return web.Response(body=BIG)

    async def bomb(_: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(b"\0" * 5_000_000), headers={"Content-Encoding": "gzip"}
        )

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/loop?n={int(request.query.get('n', 0)) + 1}")

    async def to_metadata(_: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app = web.Application()
    app.router.add_get("/conditional", conditional)
    app.router.add_get("/big", big)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/loop", loop)
    app.router.add_get("/to-metadata", to_metadata)
    return app


@pytest.fixture
def server() -> Iterator[tuple[ServerThread, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    thread = ServerThread(_app(seen)).start()
    yield thread, seen
    thread.stop()


async def test_conditional_get_sends_validators_and_reports_304(server) -> None:  # type: ignore[no-untyped-def]
    thread, seen = server
    async with HttpClient(FetchConfig()) as http:
        first = await http.fetch(f"{thread.url}/conditional", trusted=True)
        assert first.status == "ok" and first.body == b"body" and first.etag == '"v1"'
        second = await http.fetch(
            f"{thread.url}/conditional",
            etag=first.etag,
            last_modified=first.last_modified,
            trusted=True,
        )
    assert second.status == "not_modified"
    assert seen[1]["If-None-Match"] == '"v1"'
    assert seen[1]["If-Modified-Since"] == "Mon, 17 Jun 2024 18:00:00 GMT"
    assert seen[0]["User-Agent"].startswith("monitor/")


@pytest.mark.parametrize("path", ["/big", "/bomb"])
async def test_body_cap_applies_to_decompressed_size(server, path: str) -> None:  # type: ignore[no-untyped-def]
    thread, _ = server
    async with HttpClient(FetchConfig(max_body_bytes=100_000)) as http:
        with pytest.raises(FetchError, match=r"larger than the 100,000-byte cap"):
            await http.fetch(f"{thread.url}{path}", trusted=True)


async def test_redirect_loop_is_cut(server) -> None:  # type: ignore[no-untyped-def]
    thread, _ = server
    async with HttpClient(FetchConfig(max_redirects=3)) as http:
        with pytest.raises(FetchError, match=r"/loop: more than 3 redirects"):
            await http.fetch(f"{thread.url}/loop", trusted=True)


async def test_redirect_to_metadata_address_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    thread, _ = server
    async with HttpClient(FetchConfig()) as http:
        with pytest.raises(BlockedAddressError, match=r"169.254.169.254.*allow_private_addresses"):
            await http.fetch(f"{thread.url}/to-metadata", trusted=True)


async def test_unreachable_host_is_a_fetch_error_naming_the_url() -> None:
    async with HttpClient(FetchConfig(allow_private_addresses=True)) as http:
        with pytest.raises(FetchError, match=r"^http://127.0.0.1:9/x: "):
            await http.fetch("http://127.0.0.1:9/x")


async def test_article_url_naming_localhost_is_refused_by_the_connector(server) -> None:  # type: ignore[no-untyped-def]
    thread, seen = server
    port = thread.url.rsplit(":", 1)[1]
    async with HttpClient(FetchConfig()) as http:
        with pytest.raises(
            BlockedAddressError, match=rf"^http://localhost:{port}/conditional: refused"
        ):
            await http.fetch(f"http://localhost:{port}/conditional")
    assert seen == []


async def test_requests_to_one_host_are_spaced_and_limited() -> None:
    import asyncio
    import time

    times: list[float] = []

    async def handle(_: web.Request) -> web.Response:
        times.append(time.monotonic())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/{n}", handle)
    thread = ServerThread(app).start()
    try:
        config = FetchConfig(per_host_delay=0.2, per_host_concurrency=1)
        async with HttpClient(config) as http:
            await asyncio.gather(*(http.fetch(f"{thread.url}/{i}", trusted=True) for i in range(4)))
    finally:
        thread.stop()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4 and min(gaps) >= 0.19
