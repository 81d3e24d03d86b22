"""What the commands share: logging, the --config option, the sender, the store."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from monitor.alerts import ConsoleSender, Sender, SlackSender
from monitor.alerts.senders import WebhookSender
from monitor.config import Config, config_path, load_config, slack_token
from monitor.storage import Store, open_store

log = logging.getLogger("monitor")
T = TypeVar("T")
NOISY = ("apscheduler", "trafilatura", "htmldate", "courlan", "charset_normalizer")

config_option = click.option(
    "--config",
    "config_file",
    metavar="PATH",
    help="monitor.yaml to use (default: $MONITOR_CONFIG or ./monitor.yaml).",
)


log_format_option = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per line (time, level, logger, message), for log shippers.",
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: what log shippers (Loki, Elasticsearch) read."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(verbose: bool, log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def config_for(config_file: str | None) -> Config:
    return load_config(config_path(config_file))


def sender_for(config: Config) -> Sender:
    """A Slack bot token, else an incoming webhook, else the console."""
    token = slack_token(config)
    webhook = os.environ.get("SLACK_WEBHOOK_URL", "").strip()
    timeout = config.fetch.timeout.total_seconds()
    if token is None and webhook:
        log.info("no bot token: alerts go through the incoming webhook (no threads)")
        return WebhookSender(webhook, config.slack.webhook_followups, timeout=timeout)
    if token is None:
        log.info("no SLACK_BOT_TOKEN or slack.token_file: alerts are printed to the console")
        return ConsoleSender()
    return SlackSender(token, config.slack.api_url, timeout=timeout)


def with_store(config: Config, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the configured store, run `work` on it, close it."""

    async def run() -> T:
        store = await open_store(config.database)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())
