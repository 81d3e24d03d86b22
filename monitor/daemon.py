"""The daemon: wires every stage together, schedules polls, handles signals.

The schedule lives in the database (each feed's next poll time, with jitter), so it
survives restarts; an APScheduler job ticks every few seconds, claims the feeds that are
due and runs them through the pipeline, then delivers the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.alerts import DeliveryPolicy, Sender, deliver_pending
from monitor.clock import utcnow
from monitor.config import Config
from monitor.errors import DeliveryError
from monitor.extraction import load_boilerplate
from monitor.fetching import HttpClient
from monitor.matching.library import RuleLibrary
from monitor.matching.rules import shipped_rules_dir
from monitor.pipeline import Pipeline
from monitor.records import PendingAlert
from monitor.statements import load_speakers
from monitor.storage import feeds as feed_store
from monitor.storage import open_database
from monitor.storage.outbox import outbox_counts

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0
JITTER = 0.1  # a feed's next poll moves by its interval ± 10%
SHUTDOWN_GRACE_SECONDS = 30.0


def _policy(config: Config, sender: Sender) -> DeliveryPolicy:
    return DeliveryPolicy(pace=config.slack.pace if sender.paced else 0.0)


@dataclass(frozen=True)
class RunReport:
    feeds_polled: int
    feeds_failed: int
    new_entries: int
    alerts_queued: int
    alerts_sent: int
    alerts_pending: int


def speakers_path(config: Config) -> Path:
    """statements.speakers, else speakers.yaml beside the rules, else the shipped list."""
    if config.statements.speakers is not None:
        return config.statements.speakers
    for folder in config.rule_paths:
        if (folder / "speakers.yaml").is_file():
            return folder / "speakers.yaml"
    return shipped_rules_dir() / "speakers.yaml"


@contextlib.asynccontextmanager
async def open_pipeline(
    config: Config, now: Callable[[], datetime] = utcnow
) -> AsyncIterator[Pipeline]:
    """Validate rules and patterns, open the database and HTTP client, sync the feeds."""
    library = RuleLibrary.load(config.rule_paths)
    boilerplate = load_boilerplate(config.extraction.boilerplate)
    speakers = load_speakers(speakers_path(config))
    db = open_database(config.database)
    try:
        feed_store.sync_feeds(db, config.feeds, now())
        async with HttpClient(config.fetch) as http:
            yield Pipeline(
                db=db,
                http=http,
                config=config,
                rules=library.ruleset,
                library=library,
                boilerplate=boilerplate,
                speakers=speakers,
                now=now,
            )
    finally:
        db.conn.close()


async def run_once(
    config: Config, sender: Sender, now: Callable[[], datetime] = utcnow
) -> RunReport:
    """Poll every feed once, process everything, deliver every pending alert."""
    async with open_pipeline(config, now) as pipeline:
        outcomes = await pipeline.poll_feeds(feed_store.enabled_feeds(pipeline.db))
        queued = await pipeline.process_pending()
        delivery = await deliver_pending(pipeline.db, sender, now, _policy(config, sender))
        return RunReport(
            feeds_polled=len(outcomes),
            feeds_failed=sum(o.error is not None for o in outcomes),
            new_entries=sum(o.new_entries for o in outcomes),
            alerts_queued=queued,
            alerts_sent=delivery.sent,
            alerts_pending=outbox_counts(pipeline.db)["pending"],
        )


class Daemon:
    """Ticks until stopped; a tick claims due feeds, processes them and delivers."""

    def __init__(self, pipeline: Pipeline, sender: Sender) -> None:
        self._pipeline = pipeline
        self._sender = sender
        self._busy = asyncio.Lock()
        self._stop = asyncio.Event()
        self._running: asyncio.Task[None] | None = None
        self._ops_tasks: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        self._stop.set()

    def reload_rules(self) -> None:
        """Pick up edited rule files; a broken edit is reported, its last good version runs."""
        report = self._pipeline.reload_rules()
        for error in report.errors:
            log.error("rule file not loaded: %s", error)
        if report.errors:
            self._tell_ops("Rule files not loaded:\n" + "\n".join(report.errors))
        if report.changed:
            log.info("rules reloaded: %d rules", len(self._pipeline.rules))

    def _tell_ops(self, text: str) -> None:
        """Best effort to the ops channel, if configured (the log has it in any case)."""
        channel = self._pipeline.config.slack.ops_channel
        if channel is None:
            return
        note = PendingAlert(
            id=0,
            channel=channel,
            text=text[:3000],
            attempts=0,
            blocks=[{"type": "section", "text": {"type": "plain_text", "text": text[:2900]}}],
        )
        task = asyncio.get_running_loop().create_task(self._send_ops(note))
        self._ops_tasks.add(task)
        task.add_done_callback(self._ops_tasks.discard)

    async def _send_ops(self, note: PendingAlert) -> None:
        try:
            await self._sender.send(note)
        except DeliveryError as e:
            log.warning("could not tell the ops channel %s: %s", note.channel, e)

    async def tick(self) -> None:
        if self._stop.is_set():
            return
        async with self._busy:
            self.reload_rules()
            p = self._pipeline
            due = feed_store.claim_due_feeds(p.db, p.now(), lambda: random.uniform(-JITTER, JITTER))
            if due:
                await p.poll_feeds(due)
            await p.process_pending()
            await deliver_pending(p.db, self._sender, p.now, _policy(p.config, self._sender))

    async def _guarded_tick(self) -> None:
        self._running = asyncio.current_task()
        try:
            await self.tick()
        except Exception:
            log.exception("tick failed (a bug, please report it); the next tick goes on")
        finally:
            self._running = None

    async def run(self, *, handle_signals: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
            loop.add_signal_handler(signal.SIGHUP, self.reload_rules)
        scheduler = AsyncIOScheduler(event_loop=loop)
        scheduler.add_job(
            self._guarded_tick,
            "interval",
            seconds=TICK_SECONDS,
            next_run_time=utcnow(),
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        log.info(
            "monitor running: %d feeds, %d rules",
            len(self._pipeline.config.feeds),
            len(self._pipeline.rules),
        )
        await self._stop.wait()
        log.info("stopping: finishing in-flight work")
        scheduler.shutdown(wait=False)
        await self._drain()

    async def _drain(self) -> None:
        """Let the running tick finish (bounded), then try once more to empty the outbox."""
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                async with self._busy:
                    await deliver_pending(
                        self._pipeline.db,
                        self._sender,
                        self._pipeline.now,
                        _policy(self._pipeline.config, self._sender),
                    )
        except TimeoutError:
            log.warning("shutdown grace period over; undelivered alerts stay in the outbox")
            if self._running is not None:
                self._running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._running
        log.info("stopped")


async def run_forever(config: Config, sender: Sender) -> None:
    async with open_pipeline(config) as pipeline:
        await Daemon(pipeline, sender).run()
