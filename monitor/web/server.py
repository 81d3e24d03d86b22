"""Serve the pages on `server.listen` (in the daemon, or alone for `monitor web`)."""

from __future__ import annotations

from aiohttp import web

from monitor.errors import ConfigError
from monitor.web.app import Site, make_app


async def start_server(site: Site, listen: str) -> web.AppRunner:
    """Listening when it returns; a port in use or a bad address is a one-line error."""
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(make_app(site), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host.strip("[]"), int(port)).start()
    except OSError as e:
        await runner.cleanup()
        raise ConfigError(
            f"server.listen {listen}: cannot listen there ({e.strerror or e})"
        ) from None
    return runner
