"""`monitor web`: the web pages alone, against the configured database."""

from __future__ import annotations

import asyncio
import signal

import click

from monitor.cli import main
from monitor.cli.common import config_for, config_option, log, log_format_option, setup_logging
from monitor.runtime.metrics import Metrics
from monitor.storage import open_store
from monitor.web.app import Site
from monitor.web.security import Guard, load_token
from monitor.web.server import start_server


@main.command()
@config_option
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Where to serve (default: server.listen, else 127.0.0.1:9108).",
)
@log_format_option
def web(config_file: str | None, listen: str | None, log_format: str) -> None:
    """Serve the web pages (stories, speakers, articles, feeds, rules, outbox) without
    running the daemon: for a look at the database, or beside daemons on other machines.

    Example: monitor web --config /etc/monitor/monitor.yaml --listen 127.0.0.1:9108
    """
    setup_logging(False, log_format)
    config = config_for(config_file)
    where = listen or config.server.listen or "127.0.0.1:9108"
    token = load_token(where, config.server.token_file)

    async def serve() -> None:
        store = await open_store(config.database)
        site = Site(store=store, guard=Guard(token), metrics=Metrics(), health=None)
        runner = await start_server(site, where)
        log.info("web pages on http://%s/ (Ctrl-C stops)", where)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await store.close()

    asyncio.run(serve())
