"""`monitor run` (the daemon, or one pass with --once) and `monitor demo`."""

from __future__ import annotations

import asyncio
import logging
import sys

import click

from monitor.alerts import ConsoleSender
from monitor.cli import main
from monitor.cli.common import (
    config_for,
    config_option,
    log,
    log_format_option,
    sender_for,
    setup_logging,
)
from monitor.durations import parse_duration


@main.command()
@config_option
@click.option(
    "--once",
    is_flag=True,
    help="Poll every feed once, process everything, deliver every alert, exit.",
)
@click.option(
    "--max-wait",
    default="2m",
    show_default=True,
    metavar="DURATION",
    help="With --once: how long to wait for alerts and articles that must be retried later "
    "(Slack's Retry-After, say).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@log_format_option
def run(config_file: str | None, once: bool, max_wait: str, verbose: bool, log_format: str) -> None:
    """Run the daemon (or one pass with --once).

    With --once the exit code says how it ended: 0 every alert was delivered, 75 some are
    still pending (a later run sends them), 1 some failed for good (see `monitor status`).

    Example: SLACK_BOT_TOKEN=xoxb-... monitor run --config /etc/monitor/monitor.yaml
    """
    from monitor.runtime import run_daemon, run_once

    setup_logging(verbose, log_format)
    try:
        wait = 0.0 if max_wait.strip() in ("0", "0s") else parse_duration(max_wait).total_seconds()
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--max-wait") from None
    config = config_for(config_file)
    sender = sender_for(config)
    if not once:
        asyncio.run(run_daemon(config, sender))
        return
    report = asyncio.run(run_once(config, sender, max_wait=wait))
    log.info(
        "done: %d feeds polled (%d failed), %d new entries, %d alerts queued, %d sent, "
        "%d pending, %d failed",
        report.feeds_polled,
        report.feeds_failed,
        report.new_entries,
        report.alerts_queued,
        report.alerts_sent,
        report.alerts_pending,
        report.alerts_failed,
    )
    sys.exit(report.exit_code)


@main.command()
def demo() -> None:
    """Show the whole pipeline on sample articles: no network, no Slack needed.

    Example: monitor demo
    """
    from monitor.demo import run_demo

    setup_logging(verbose=False)
    logging.getLogger("monitor").setLevel(logging.WARNING)
    click.echo("Serving 5 sample news articles from a local feed on 127.0.0.1 ...\n")
    first, second = asyncio.run(run_demo(ConsoleSender()))
    click.echo(
        f"First poll: {first.new_entries} new articles, {first.alerts_queued} alerts "
        f"({first.alerts_sent} delivered to the console).\n"
        f"Second poll: {second.new_entries} new articles, {second.alerts_queued} alerts: "
        "nothing is alerted twice.\n\n"
        "Next: write a monitor.yaml (see deploy/monitor.yaml), export SLACK_BOT_TOKEN, "
        "and run `monitor run`."
    )
