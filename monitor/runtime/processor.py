"""Processors: claim new entries, get each article (the feed's copy or the page), and have
the worker pool extract it, find its statements and match the rules; store the result.

Each entry is a task of its own, bounded in time; at most `fetch.concurrency` + 2 x workers
are in flight, so fetching runs ahead of the workers without holding much in memory.
Whatever goes wrong with one entry is recorded on it (attempts, backoff, then quarantine);
the loop never stops for it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from monitor.errors import ExtractionError, FetchError
from monitor.records import Analysis, StoredEntry
from monitor.runtime.context import IDLE_POLL_SECONDS, Runtime, finish_within, wait_any
from monitor.runtime.pool import WorkerLost
from monitor.runtime.work import AnalyseTask, NotFull, Result, TaskError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Skip:
    """Nothing to process, and why."""

    note: str


class InternalError(Exception):
    """A bug in a worker, reported with its message (the traceback stayed in the worker)."""


class Processor:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.capacity = runtime.config.fetch.concurrency + 2 * runtime.pool.size
        self._running: set[asyncio.Task[None]] = set()
        self._slot = asyncio.Event()
        self._feeds = {f.url: f for f in runtime.config.feeds}
        fetch = runtime.config.fetch.timeout.total_seconds()
        self._limit = 3 * fetch + runtime.config.runtime.item_deadline.total_seconds() + 10

    @property
    def busy(self) -> int:
        return len(self._running)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: keep up to `capacity` entries in flight."""
        while not stop.is_set():
            self.rt.health.tick("processor")
            claimed = await self._claim_guarded()
            if claimed == 0:
                await wait_any(stop, self.rt.wake.entries, self._slot, timeout=IDLE_POLL_SECONDS)
                self.rt.wake.entries.clear()
                self._slot.clear()

    async def drain(self) -> None:
        """Process until nothing is left to claim (run --once)."""
        while True:
            claimed = await self._claim_guarded()
            if claimed == 0 and not self._running:
                return
            if claimed == 0:
                await asyncio.wait(list(self._running), return_when=asyncio.FIRST_COMPLETED)

    async def stop(self, grace: float) -> None:
        await finish_within(self._running, grace)

    async def _claim_guarded(self) -> int:
        try:
            return await self._claim()
        except Exception:
            log.exception("could not claim entries; trying again shortly")
            return 0

    async def _claim(self) -> int:
        """Claim entries to fill the free places, once a third of them are free (one claim
        for several entries, not one for each entry that finishes)."""
        free = self.capacity - len(self._running)
        if free <= 0 or (self._running and free < max(1, self.capacity // 3)):
            return 0
        rt = self.rt
        entries = await rt.store.claim_entries(rt.owner, rt.now(), rt.config.runtime.lease, free)
        for entry in entries:
            task = asyncio.get_running_loop().create_task(self.process(entry))
            self._running.add(task)
            task.add_done_callback(self._done)
        return len(entries)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slot.set()

    async def process(self, entry: StoredEntry) -> None:
        """One entry, start to stored result; any failure is recorded on the entry."""
        try:
            with self.rt.metrics.processing.time():
                async with asyncio.timeout(self._limit):
                    outcome = await self._analyse(entry)
                await self._store(entry, outcome)
        except (FetchError, ExtractionError, WorkerLost) as e:
            log.warning("entry %s (%s): %s", entry.url, entry.feed_name, e)
            await self._failed(entry, str(e))
        except TimeoutError:
            await self._failed(entry, f"processing took longer than {self._limit:g}s")
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("entry %s: unexpected failure (a bug, please report it)", entry.url)
            await self._failed(entry, f"internal error: {type(e).__name__}: {e}")

    async def _store(self, entry: StoredEntry, outcome: Analysis | Skip) -> None:
        rt = self.rt
        if isinstance(outcome, Skip):
            await rt.store.skip_entry(entry.id, outcome.note, rt.owner)
            return
        for note in outcome.notes:
            log.warning("entry %s: %s", entry.url, note)
        for rule in outcome.timed_out:
            await self._regex_timeout(rule, entry)
        saved, written = await rt.store.save_analysis(
            entry, outcome, rt.now(), rt.owner, rt.write_policy
        )
        if not saved:
            return
        rt.stats.entries_processed += 1
        rt.metrics.articles.inc()
        rt.metrics.statements.inc(len(outcome.statements))
        for match in outcome.matches:
            rt.metrics.matches.labels(match.rule).inc()
        if isinstance(written, int):  # the writer's work, done on the same trip
            rt.stats.alerts_queued += written
            if written:
                rt.wake.queued.set()
            return
        if written is not None:
            log.error("entry %d: its alerts could not be written: %s", entry.id, written)
            await self._failed(entry, f"writing its alerts failed: {written}")
        rt.wake.analysed.set()  # the writer takes it up (after its backoff, if it failed)

    async def _regex_timeout(self, rule: str, entry: StoredEntry) -> None:
        rt = self.rt
        seconds = rt.config.runtime.regex_timeout.total_seconds()
        detail = f"a regular expression ran out of time ({seconds:g}s) on {entry.url}"
        log.error("rule %s: %s; the rule was skipped for that article", rule, detail)
        await rt.store.record_problem("rule_timeout", rule, detail, rt.now())
        rt.ops.tell(f"timeout:{rule}", f"Rule {rule!r}: {detail}. Simplify its regex.")

    async def _failed(self, entry: StoredEntry, error: str) -> None:
        rt = self.rt
        rt.stats.entries_failed += 1
        try:
            quarantined = await rt.store.record_entry_failure(
                entry.id, error, rt.now(), rt.config.runtime.max_attempts
            )
        except Exception:
            log.exception("entry %s: could not record its failure", entry.url)
            return
        if quarantined:
            log.error(
                "entry %s quarantined after %d attempts: %s (`monitor entries retry %d`)",
                entry.url,
                rt.config.runtime.max_attempts,
                error,
                entry.id,
            )

    async def _analyse(self, entry: StoredEntry) -> Analysis | Skip:
        """`fetch_article`: the feed's own copy when full (auto) or always (never), else the
        page (robots.txt permitting)."""
        if not entry.url and not entry.content:
            return Skip("entry has no link and no content")
        feed = self._feeds.get(entry.feed_url)
        mode = feed.fetch_article if feed else "auto"
        if mode != "always" and entry.content:
            carried = await self._carried(entry, need_full=mode == "auto")
            if carried is not None:
                return carried
        if mode == "never" or not entry.url:
            return Skip("the feed carries no article text")
        if (feed is None or feed.robots) and not await self.rt.robots.allowed(entry.url):
            log.info("entry %s: robots.txt disallows fetching it", entry.url)
            return Skip("skipped: the site's robots.txt disallows it")
        with self.rt.metrics.fetch.time():
            page = await self.rt.http.fetch(entry.url)
        answer = await self._work(
            AnalyseTask(entry, page.body, page.url, self.rt.now(), headers=page.headers)
        )
        if not isinstance(answer, Analysis):
            raise ExtractionError(page.url, "no article in the page")
        return answer

    async def _carried(self, entry: StoredEntry, *, need_full: bool) -> Analysis | None:
        """The article as the feed carries it; None when it is a teaser (with a link to
        fetch) or holds no article text."""
        page = f"<html><body><article>{entry.content}</article></body></html>".encode()
        task = AnalyseTask(
            entry,
            page,
            entry.url or entry.feed_url,
            self.rt.now(),
            need_full=need_full and entry.url is not None,
        )
        try:
            answer = await self._work(task)
        except ExtractionError:
            return None
        return answer if isinstance(answer, Analysis) else None

    async def _work(self, task: AnalyseTask) -> Result:
        answer = await self.rt.pool.run(task)
        if isinstance(answer, TaskError):
            if answer.expected:
                raise ExtractionError(task.url, answer.reason)
            raise InternalError(answer.message)
        if isinstance(answer, Analysis | NotFull):
            return answer
        raise InternalError(f"unexpected answer from a worker: {type(answer).__name__}")
