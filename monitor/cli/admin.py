"""`monitor status`, `monitor alerts retry` and `monitor entries retry`: what the daemon is
doing, and putting set-aside work back in the queue."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click

from monitor.cli import main
from monitor.cli.common import config_for, config_option, with_store
from monitor.cli.feeds import feed_state
from monitor.clock import utcnow
from monitor.storage import Store


@main.group()
def alerts() -> None:
    """Manage the alert outbox."""


@alerts.command("retry")
@click.argument("alert_ids", nargs=-1, type=int, metavar="[ID...]")
@click.option("--failed", "all_failed", is_flag=True, help="Re-queue every failed alert.")
@click.option(
    "--force",
    is_flag=True,
    help="Resend unverified alerts without looking for them in Slack first "
    "(they may then appear twice).",
)
@config_option
def alerts_retry(
    alert_ids: tuple[int, ...], all_failed: bool, force: bool, config_file: str | None
) -> None:
    """Re-queue failed, unverified or quarantined alerts after fixing their cause.

    Without --force an unverified alert is looked for in the channel again before it is
    resent (give the token the history scopes first); --force resends it.

    Example: monitor alerts retry --failed
    """
    if not alert_ids and not all_failed:
        raise click.UsageError("name alert IDs (see `monitor status`) or pass --failed")
    ids = None if all_failed else list(alert_ids)
    count = with_store(config_for(config_file), lambda s: s.requeue_alerts(ids, force=force))
    click.echo(f"{count} alerts re-queued; the daemon (or `monitor run --once`) sends them.")


@main.group()
def entries() -> None:
    """Manage entries (articles) set aside after failing repeatedly."""


@entries.command("retry")
@click.argument("entry_ids", nargs=-1, type=int, metavar="[ID...]")
@click.option("--all", "every", is_flag=True, help="Re-queue every quarantined entry.")
@config_option
def entries_retry(entry_ids: tuple[int, ...], every: bool, config_file: str | None) -> None:
    """Re-queue quarantined entries (after fixing a rule, a pattern or a site's robots).

    Example: monitor entries retry --all
    """
    if not entry_ids and not every:
        raise click.UsageError("name entry IDs (see `monitor status`) or pass --all")
    ids = None if every else list(entry_ids)
    count = with_store(config_for(config_file), lambda s: s.requeue_entries(ids))
    click.echo(f"{count} entries re-queued; the daemon (or `monitor run --once`) processes them.")


@dataclass(frozen=True)
class Status:
    feeds: list[dict[str, Any]]
    entries: dict[str, int]
    quarantined: list[dict[str, Any]]
    outbox: dict[str, int]
    oldest_pending: datetime | None
    problem_alerts: list[tuple[int, str, str, str]]
    replicas: list[dict[str, Any]]
    problems: list[dict[str, Any]]


async def gather_status(store: Store, now: datetime) -> Status:
    return Status(
        feeds=await store.feed_status(),
        entries=await store.entry_counts(),
        quarantined=await store.quarantined_entries(),
        outbox=await store.outbox_counts(),
        oldest_pending=await store.oldest_pending(),
        problem_alerts=await store.problem_alerts(),
        replicas=await store.replicas(now),
        problems=await store.recent_problems(now - timedelta(days=1)),
    )


@main.command()
@config_option
def status(config_file: str | None) -> None:
    """Show each feed's health, the entry queue, the alert outbox and the replicas.

    Example: monitor status --config /etc/monitor/monitor.yaml
    """
    now = utcnow()
    report = with_store(config_for(config_file), lambda s: gather_status(s, now))
    for line in status_lines(report, now):
        click.echo(line)


def status_lines(report: Status, now: datetime) -> Iterator[str]:
    yield from _feed_lines(report.feeds)
    e = report.entries
    yield (
        f"entries: {e['new']} waiting, {e['analysed']} being written, {e['done']} done, "
        f"{e['quarantined']} quarantined"
    )
    for q in report.quarantined:
        yield f"  quarantined entry #{q['id']} ({q['feed']}) <{q['url']}>: {q['last_error']}"
    o = report.outbox
    yield (
        f"alerts: {o['pending']} pending, {o['sent']} sent, {o['failed']} failed, "
        f"{o['unverified']} unverified, {o['quarantined']} quarantined"
    )
    if report.oldest_pending is not None:
        minutes = (now - report.oldest_pending).total_seconds() / 60
        yield f"  oldest undelivered alert waiting for {minutes:.0f} min"
    for alert_id, state, channel, reason in report.problem_alerts:
        yield f"  {state} alert #{alert_id} to {channel}: {reason}"
    for p in report.problems:
        yield (
            f"problem: {p['kind']} {p['subject']}: {p['times']}x, last {p['last']}: {p['detail']}"
        )
    for r in report.replicas:
        state = (
            f"stopped {r['stopped_at']}" if r["stopped_at"] else f"heartbeat {r['heartbeat_at']}"
        )
        holds = f"{r['feeds']} feeds, {r['entries']} entries, channels: {r['channels'] or '-'}"
        yield f"replica {r['id']} on {r['host']} (pid {r['pid']}): {state}; holds {holds}"


def _feed_lines(feeds: list[dict[str, Any]]) -> Iterator[str]:
    for feed in feeds:
        yield f"{feed_state(feed):8} {feed['name']}  <{feed['url']}>"
        yield (
            f"         last success: {feed['last_success_at'] or 'never'}, next poll: "
            f"{feed['next_poll_at'] or '-'}, consecutive failures: "
            f"{feed['consecutive_failures']}"
        )
        if feed["fetch_url"]:
            yield f"         moved permanently to <{feed['fetch_url']}>"
        if feed["last_error"]:
            yield f"         last error: {feed['last_error']}"
