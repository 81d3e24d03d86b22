"""The daemon: the stage loops, the periodic jobs, signals and a bounded shutdown.

- Stage loops, each its own task: processor, writer, deliverer. The poller is driven by
  a periodic job. They meet only in the database (plus in-process wake-ups), so polling
  never waits behind processing and delivery never waits behind either.
- Periodic jobs (APScheduler, coalesced, one instance each): claim due feeds (every
  second), reload rules (5 s), heartbeat and database-file check (2 s), digests of
  throttled rules (30 s), sweeping the claims of dead replicas (1 min), retention (6 h).
- SIGTERM/SIGINT: stop taking work, give in-flight work a few seconds, cancel the rest,
  release every claim (so another replica takes over at once), stop the workers: the
  process is gone within 10 s. SIGHUP reloads the rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp.web import AppRunner
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.alerts import Sender
from monitor.clock import utcnow
from monitor.config import Config
from monitor.errors import DatabaseGone, StorageError
from monitor.runtime.context import HEARTBEAT_SECONDS, Runtime, open_runtime
from monitor.runtime.deliverer import Deliverer
from monitor.runtime.poller import Poller
from monitor.runtime.processor import Processor
from monitor.runtime.writer import Writer

log = logging.getLogger(__name__)
GRACE_SECONDS = 4.0  # in-flight work may finish within this; the rest is cancelled
POLL_TICK_SECONDS = 1.0
HEALTHY_PAUSE_SECONDS = 20.0  # /healthz: a stage is stale after 3 x this without a turn
COMPACT_EVERY = timedelta(days=1)  # VACUUM (SQLite) or ANALYZE (PostgreSQL) after pruning


class Daemon:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.poller = Poller(runtime)
        self.processor = Processor(runtime)
        self.writer = Writer(runtime)
        self.deliverer = Deliverer(runtime)
        self._stop = asyncio.Event()
        self._fatal: BaseException | None = None
        self._jobs: set[asyncio.Task[object]] = set()  # periodic jobs running now
        self._signalled: set[asyncio.Future[None]] = set()  # jobs a signal started
        self._compacted_at: datetime | None = None  # the database's last compaction

    def stop(self) -> None:
        self._stop.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
            reload = self._guarded(self._reload)
            loop.add_signal_handler(signal.SIGHUP, lambda: self._later(loop, reload))
        # the longest a healthy stage goes without a turn: idle loops turn every second, but
        # a long batch (a writer behind by thousands of entries) may hold one for a while
        for stage in ("processor", "writer", "deliverer", "poller", "heartbeat"):
            self.rt.health.watch(stage, HEALTHY_PAUSE_SECONDS)
        await self._heartbeat()
        await self._sweep()
        scheduler = self._scheduler(loop)
        stages = [
            loop.create_task(self._supervise("processor", self.processor.run)),
            loop.create_task(self._supervise("writer", self.writer.run)),
            loop.create_task(self._supervise("deliverer", self.deliverer.run)),
        ]
        scheduler.start()
        log.info(
            "monitor running: %d feeds, %d rules, %d workers (replica %s)",
            len(self.rt.config.feeds),
            len(self.rt.rules.ruleset),
            self.rt.pool.size,
            self.rt.owner,
        )
        await self._stop.wait()
        log.info("stopping: finishing in-flight work")
        scheduler.shutdown(wait=False)
        await self._shutdown(stages)
        log.info("stopped")
        if self._fatal is not None:
            raise self._fatal

    def _scheduler(self, loop: asyncio.AbstractEventLoop) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(event_loop=loop)
        jobs: list[tuple[Callable[[], Awaitable[object]], float]] = [
            (self._poll, POLL_TICK_SECONDS),
            (self._reload, 5.0),
            (self._heartbeat, HEARTBEAT_SECONDS),
            (self._digests, 30.0),
            (self._sweep, 60.0),
            (self._retention, 6 * 3600.0),
        ]
        for job, seconds in jobs:
            scheduler.add_job(
                self._guarded(job),
                "interval",
                seconds=seconds,
                next_run_time=utcnow(),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(seconds)),
            )
        return scheduler

    def _later(self, loop: asyncio.AbstractEventLoop, job: Callable[[], Awaitable[None]]) -> None:
        """Run a job now, from a signal handler."""
        task = asyncio.ensure_future(job(), loop=loop)
        self._signalled.add(task)
        task.add_done_callback(self._signalled.discard)

    def _guarded(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self._stop.is_set():
                return
            task = asyncio.current_task()
            if task is not None:
                self._jobs.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                if not self._stop.is_set():
                    raise  # not ours to swallow; at shutdown a cancelled job just ends
            except DatabaseGone as e:
                self._fatal = e
                log.error("%s", e)
                self.stop()
            except StorageError as e:  # unhealthy until it works again; /healthz says why
                self.rt.health.failing(job.__name__.strip("_"), str(e))
            except Exception:
                log.exception("periodic job %s failed (a bug, please report it)", job.__name__)
            finally:
                if task is not None:
                    self._jobs.discard(task)

        run.__name__ = job.__name__
        return run

    async def _supervise(self, name: str, loop: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """Keep a stage loop running: a bug that escapes it is logged and the loop restarts."""
        while not self._stop.is_set():
            try:
                await loop(self._stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the %s loop failed (a bug, please report it); restarting", name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 1.0)

    async def _poll(self) -> None:
        await self.poller.tick()
        self.rt.health.recovered("poll")
        self.rt.health.tick("poller")

    async def _reload(self) -> None:
        for error in self.rt.reload_rules():
            where = error.split(":", 1)[0]
            await self.rt.store.record_problem("rule_file", where, error, self.rt.now())

    async def _heartbeat(self) -> None:
        await self.rt.heartbeat()

    async def _digests(self) -> None:
        if await self.rt.store.create_due_digests(self.rt.now()):
            self.rt.wake.queued.set()

    async def _sweep(self) -> None:
        """Claims of replicas on this host whose process is gone are released at once
        (elsewhere they expire with their lease)."""
        rt = self.rt
        host = socket.gethostname()
        for replica in await rt.store.replicas(rt.now()):
            if replica["host"] != host or replica["id"] == rt.owner or replica["stopped_at"]:
                continue
            if not _alive(int(replica["pid"])):
                log.info("replica %s is gone: releasing its claims", replica["id"])
                await rt.store.release_claims(str(replica["id"]), rt.now())

    async def _retention(self) -> None:
        """Prune (feed copies, old replicas, article texts past retention.article_text);
        at start and then once a day, compact the database (VACUUM or ANALYZE)."""
        now = self.rt.now()
        pruned = await self.rt.store.prune(now, self.rt.config.retention.article_text)
        if pruned:
            log.info("retention: %d rows pruned", pruned)
        if self._compacted_at is None or now - self._compacted_at >= COMPACT_EVERY:
            self._compacted_at = now
            log.info("retention: database %s", await self.rt.store.compact())

    async def _shutdown(self, stages: list[asyncio.Task[None]]) -> None:
        """Bounded: in-flight work gets GRACE_SECONDS, then everything is cancelled and
        every claim released."""
        await asyncio.gather(
            self.poller.stop(GRACE_SECONDS),
            self.processor.stop(GRACE_SECONDS),
            self.deliverer.stop(GRACE_SECONDS),
        )
        running = [*stages, *self._jobs]
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=2)
        try:
            await asyncio.wait_for(self.rt.store.release_claims(self.rt.owner, self.rt.now()), 3)
        except Exception as e:
            log.warning("could not release this process's claims (they expire on their own): %s", e)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def run_daemon(config: Config, sender: Sender, now: Callable[[], datetime] = utcnow) -> None:
    from monitor.web.security import load_token

    listen = config.server.listen
    token = load_token(listen, config.server.token_file) if listen else None
    async with open_runtime(config, sender, now) as runtime:
        daemon = Daemon(runtime)
        runner = await _serve_pages(runtime, listen, token) if listen else None
        try:
            await daemon.run()
        finally:
            if runner is not None:
                await runner.cleanup()


async def _serve_pages(runtime: Runtime, listen: str, token: str | None) -> AppRunner:
    """The web pages, /healthz and /metrics, beside the stage loops (server.listen)."""
    from monitor.web.app import Site
    from monitor.web.security import Guard
    from monitor.web.server import start_server

    site = Site(
        store=runtime.store,
        guard=Guard(token),
        metrics=runtime.metrics,
        health=runtime.health,
        on_retry=runtime.wake.queued.set,
        now=runtime.now,
    )
    runner = await start_server(site, listen)
    log.info("web pages, /healthz and /metrics on http://%s/", listen)
    return runner
