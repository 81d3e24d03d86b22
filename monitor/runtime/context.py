"""What every stage shares: the store, the HTTP client, the worker pool, the rules, the
sender, who we are (the replica id) and the clock. `open_runtime` builds and closes it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.alerts import Sender
from monitor.alerts.plan import plan_alert
from monitor.clock import utcnow
from monitor.config import Config
from monitor.errors import ConfigError, DeliveryError, StorageError
from monitor.extraction import load_boilerplate
from monitor.fetching import HttpClient
from monitor.fetching.robots import RobotsCache
from monitor.matching.library import RuleLibrary
from monitor.matching.rules import shipped_rules_dir
from monitor.records import PendingAlert
from monitor.runtime.health import Health
from monitor.runtime.metrics import Metrics
from monitor.runtime.pool import WorkerPool
from monitor.runtime.work import WorkerSetup
from monitor.statements import load_speakers
from monitor.statements.stories import choose_story
from monitor.storage import Store, WritePolicy, open_store

log = logging.getLogger(__name__)
OPS_REPEAT_SECONDS = 3600.0  # the same problem is told to the ops channel once an hour
IDLE_POLL_SECONDS = 1.0  # how often an idle stage looks for work other processes added
HEARTBEAT_SECONDS = 2.0  # how often a process renews its claims and checks the database file


@dataclass
class Stats:
    """Counters and samples the stages keep, for reports, status and benchmarks."""

    feeds_polled: int = 0
    feeds_failed: int = 0
    new_entries: int = 0
    entries_processed: int = 0
    entries_failed: int = 0
    alerts_queued: int = 0
    alerts_sent: int = 0
    alerts_failed: int = 0
    poll_lag: list[float] = field(default_factory=list)  # seconds behind schedule
    send_lag: list[float] = field(default_factory=list)  # queued -> posted, seconds

    def sample(self, samples: list[float], value: float) -> None:
        samples.append(value)
        if len(samples) > 100_000:
            del samples[: len(samples) // 2]


async def wait_any(*events: asyncio.Event, timeout: float) -> None:
    """Wait until any of the events is set, or `timeout` passes."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def finish_within(tasks: Iterable[asyncio.Task[Any]], grace: float) -> None:
    """At shutdown: the tasks get `grace` seconds to finish, then are cancelled (their claims
    are released afterwards, so another process can take the work at once)."""
    running = list(tasks)
    if not running:
        return
    _, pending = await asyncio.wait(running, timeout=grace)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=2)


@dataclass
class Wakeups:
    """In-process nudges between stages, so work flows without waiting for a poll of the
    database; other processes find the same work by polling it."""

    entries: asyncio.Event = field(default_factory=asyncio.Event)
    analysed: asyncio.Event = field(default_factory=asyncio.Event)
    queued: asyncio.Event = field(default_factory=asyncio.Event)


class Ops:
    """Problems an operator should hear about: logged always, told to `slack.ops_channel`
    (best effort, each problem at most once an hour)."""

    def __init__(self, sender: Sender, channel: str | None) -> None:
        self._sender = sender
        self._channel = channel
        self._told: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def tell(self, key: str, text: str) -> None:
        if self._channel is None:
            return
        now = time.monotonic()
        if now - self._told.get(key, -OPS_REPEAT_SECONDS) < OPS_REPEAT_SECONDS:
            return
        self._told[key] = now
        note = PendingAlert(
            id=0,
            channel=self._channel,
            text=text[:3000],
            attempts=0,
            blocks=[{"type": "section", "text": {"type": "plain_text", "text": text[:2900]}}],
        )
        task = asyncio.get_running_loop().create_task(self._send(note))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, note: PendingAlert) -> None:
        try:
            await self._sender.send(note)
        except DeliveryError as e:
            log.warning("could not tell the ops channel %s: %s", note.channel, e)

    async def flush(self, timeout: float = 2.0) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)


@dataclass
class Runtime:
    config: Config
    store: Store
    http: HttpClient
    pool: WorkerPool
    sender: Sender
    rules: RuleLibrary
    robots: RobotsCache
    owner: str
    now: Callable[[], datetime]
    ops: Ops
    stats: Stats = field(default_factory=Stats)
    wake: Wakeups = field(default_factory=Wakeups)
    health: Health = field(default_factory=Health)
    rule_errors: set[str] = field(default_factory=set)  # of the rule files, as last loaded
    metrics: Metrics = field(default_factory=Metrics)
    generation: int = 0

    @property
    def write_policy(self) -> WritePolicy:
        """How stories and alerts are decided (pure functions), for the writer's work."""
        return WritePolicy(
            window=self.config.statements.window,
            default_channel=self.config.slack.channel,
            choose_story=choose_story,
            plan_alert=plan_alert,
        )

    async def heartbeat(self) -> None:
        """The database file is still ours (else DatabaseGone); we are alive, and so are our
        claims. A database that refuses the write makes the daemon unhealthy, not stop: it
        says so at /healthz and carries on when the database takes writes again."""
        await self.store.check()
        now = self.now()
        try:
            await self.store.heartbeat(self.owner, socket.gethostname(), os.getpid(), now)
            await self.store.renew_claims(self.owner, now, self.config.runtime.lease)
        except StorageError as e:
            self.health.failing("database", str(e))
            return
        self.health.recovered("database")
        self.health.tick("heartbeat")

    def reload_rules(self) -> list[str]:
        """Pick up edited rule files; a broken edit is reported, its last good version runs.
        Returns the errors not reported before (to record for `monitor status` and /rules)."""
        report = self.rules.reload()
        new = [e for e in report.errors if e not in self.rule_errors]
        self.rule_errors = set(report.errors)
        for error in report.errors:
            log.error("rule file not loaded: %s", error)
        if report.errors:
            self.ops.tell(
                "rules:" + "|".join(report.errors),
                "Rule files not loaded:\n" + "\n".join(report.errors),
            )
        if report.changed:
            self.publish_rules()
            log.info("rules reloaded: %d rules", len(self.rules.ruleset))
        return new

    def publish_rules(self) -> None:
        self.generation += 1
        self.pool.set_rules(self.generation, tuple(self.rules.ruleset.rules))


async def check_sender(sender: Sender) -> None:
    """At start: say by name what the Slack token may not do (a rejected token is a
    start-up error, Slack being unreachable is not: alerts wait in the outbox)."""
    report = await sender.check_access()
    for warning in report.warnings:
        log.warning("Slack: %s", warning)
    for note in report.notes:
        log.info("Slack: %s", note)


def speakers_path(config: Config) -> Path:
    """statements.speakers, else speakers.yaml beside the rules, else the shipped list."""
    if config.statements.speakers is not None:
        return config.statements.speakers
    for folder in config.rule_paths:
        if (folder / "speakers.yaml").is_file():
            return folder / "speakers.yaml"
    return shipped_rules_dir() / "speakers.yaml"


def replica_id() -> str:
    """Who holds a claim: host, process and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@contextlib.asynccontextmanager
async def open_runtime(
    config: Config, sender: Sender, now: Callable[[], datetime] = utcnow
) -> AsyncIterator[Runtime]:
    """Validate rules and patterns, open the store, the HTTP client and the worker pool."""
    library = RuleLibrary.load(config.rule_paths)
    path = speakers_path(config)
    if config.statements.speakers is not None and not path.is_file():
        raise ConfigError(
            f"statements.speakers {path}: file not found (fix the path in monitor.yaml, or "
            "remove the key to use the shipped speaker list)"
        )
    setup = WorkerSetup(
        boilerplate=load_boilerplate(config.extraction.boilerplate),
        speakers=load_speakers(path),
        regex_timeout=config.runtime.regex_timeout.total_seconds(),
    )
    await check_sender(sender)
    store = await open_store(config.database)
    pool = WorkerPool(config.worker_count, setup, config.runtime.item_deadline.total_seconds())
    try:
        await store.sync_feeds(config.feeds, now())
        await pool.start()
        async with HttpClient(config.fetch) as http:
            runtime = Runtime(
                config=config,
                store=store,
                http=http,
                pool=pool,
                sender=sender,
                rules=library,
                robots=RobotsCache(http, config.fetch.user_agent),
                owner=replica_id(),
                now=now,
                ops=Ops(sender, config.slack.ops_channel),
            )
            runtime.publish_rules()
            yield runtime
            await runtime.ops.flush()
    finally:
        await pool.close()
        await store.close()
        await sender.close()
