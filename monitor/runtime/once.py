"""`monitor run --once`: everything due, then exit (cron, checks).

Every feed is polled once (but those backing off after errors), every entry processed, no
matter how many, and every alert delivered; alerts and entries waiting out a retry are
waited for up to `max_wait` seconds. The exit code says how it ended (see RunReport).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerts import Sender
from monitor.clock import utcnow
from monitor.config import Config
from monitor.errors import StorageError
from monitor.runtime.context import HEARTBEAT_SECONDS, Runtime, open_runtime
from monitor.runtime.deliverer import Deliverer
from monitor.runtime.poller import Poller
from monitor.runtime.processor import Processor
from monitor.runtime.writer import Writer

log = logging.getLogger(__name__)
EXIT_PENDING = 75  # EX_TEMPFAIL: alerts remain queued; a later run sends them


@dataclass(frozen=True)
class RunReport:
    feeds_polled: int
    feeds_failed: int
    new_entries: int
    alerts_queued: int
    alerts_sent: int
    alerts_pending: int
    alerts_failed: int  # failed for good (or unverifiable) during this run

    @property
    def exit_code(self) -> int:
        """0: the outbox is drained; 75: alerts remain pending; 1: some failed for good."""
        if self.alerts_failed:
            return 1
        if self.alerts_pending:
            return EXIT_PENDING
        return 0


async def run_once(
    config: Config,
    sender: Sender,
    now: Callable[[], datetime] = utcnow,
    *,
    max_wait: float = 0.0,
) -> RunReport:
    """Poll, process, write and deliver everything due; wait up to `max_wait` seconds for
    what is backing off."""
    started = now()
    async with open_runtime(config, sender, now) as runtime:
        await runtime.heartbeat()
        loop = asyncio.get_running_loop()
        work = loop.create_task(_everything_due(runtime, max_wait))
        alive = loop.create_task(_keep_alive(runtime))
        try:
            await asyncio.wait({work, alive}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():  # the heartbeat found the database gone: stop there
                work.cancel()
                await asyncio.wait({work})
                alive.result()
            await work
            return await _report(runtime, started)
        finally:
            alive.cancel()
            await runtime.store.release_claims(runtime.owner, runtime.now())


async def _everything_due(runtime: Runtime, max_wait: float) -> None:
    await Poller(runtime).poll_all()
    deadline = time.monotonic() + max_wait
    while True:
        await drain(runtime)
        wait = await _next_wait(runtime, deadline)
        if wait is None:
            return
        log.info("waiting %.0fs for alerts or entries that are backing off", wait)
        await asyncio.sleep(wait)


async def _keep_alive(runtime: Runtime) -> None:
    """Heartbeats, as the daemon's: claims stay ours however long the run takes. A storage
    error (the database file deleted or replaced) ends the run."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        try:
            await runtime.heartbeat()
        except StorageError:
            raise
        except Exception as e:
            log.warning("heartbeat failed: %s", e)


async def drain(runtime: Runtime) -> None:
    """Processors, writer and deliverer together until each has nothing left, so alerts
    go out while later entries are still being processed."""
    processed, written = asyncio.Event(), asyncio.Event()
    await runtime.store.create_due_digests(runtime.now())

    async def process() -> None:
        try:
            await Processor(runtime).drain()
        finally:
            processed.set()

    async def write() -> None:
        try:
            await Writer(runtime).drain(processed)
        finally:
            written.set()

    await asyncio.gather(process(), write(), Deliverer(runtime).drain(written))


async def _next_wait(runtime: Runtime, deadline: float) -> float | None:
    """Seconds until the next retry falls due, if it does before the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    due = [
        d
        for d in (await runtime.store.next_alert_due(), await runtime.store.next_entry_due())
        if d is not None
    ]
    counts = await runtime.store.outbox_counts()
    if not due or (not counts["pending"] and not await runtime.store.backlog(0)):
        return None
    wait = max(0.0, (min(due) - runtime.now()).total_seconds()) + 0.05
    return wait if wait <= left else None


async def _report(runtime: Runtime, started: datetime) -> RunReport:
    stats = runtime.stats
    counts = await runtime.store.outbox_counts()
    return RunReport(
        feeds_polled=stats.feeds_polled,
        feeds_failed=stats.feeds_failed,
        new_entries=stats.new_entries,
        alerts_queued=stats.alerts_queued,
        alerts_sent=stats.alerts_sent,
        alerts_pending=counts["pending"],
        alerts_failed=await runtime.store.failed_since(started - timedelta(seconds=1)),
    )
