"""The writer: turns analysed entries into stories and outbox rows, oldest first. Each entry
is one transaction (storage: write_alerts), so two reports of one statement written at once
cannot both open a story; a failure is recorded on the entry and the writer goes on.

A processor that has just stored an entry does the writer's transaction for it on the same
trip to the database (that is most entries); this loop writes the others: entries another
process analysed, or whose writing failed and waits for a retry."""

from __future__ import annotations

import asyncio
import logging

from monitor.runtime.context import IDLE_POLL_SECONDS, Runtime, wait_any

log = logging.getLogger(__name__)
BATCH = 100


class Writer:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.policy = runtime.write_policy

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.rt.health.tick("writer")
            if await self.write_available() == 0:
                await wait_any(stop, self.rt.wake.analysed, timeout=IDLE_POLL_SECONDS)
                self.rt.wake.analysed.clear()

    async def drain(self, upstream_done: asyncio.Event) -> None:
        """Write until the processors are done and nothing is left (run --once)."""
        while True:
            finished = upstream_done.is_set()
            written = await self.write_available()
            if written == 0 and finished:
                return
            if written == 0:
                await wait_any(upstream_done, self.rt.wake.analysed, timeout=0.5)
                self.rt.wake.analysed.clear()

    async def write_available(self) -> int:
        """Write every analysed entry there is now; returns how many entries were written."""
        rt = self.rt
        written = 0
        while True:
            rt.health.tick("writer")
            try:
                outcomes = await rt.store.write_waiting(rt.now(), self.policy, BATCH)
            except Exception:
                log.exception("could not write the analysed entries; trying again shortly")
                return written
            for entry_id, outcome in outcomes:
                if isinstance(outcome, str):
                    log.error("entry %d: its alerts could not be written: %s", entry_id, outcome)
                    await self._failed(entry_id, f"writing its alerts failed: {outcome}")
                elif outcome:
                    rt.stats.alerts_queued += outcome
                    rt.wake.queued.set()
            written += len(outcomes)
            if len(outcomes) < BATCH:
                return written

    async def _failed(self, entry_id: int, error: str) -> None:
        rt = self.rt
        try:
            if await rt.store.record_entry_failure(
                entry_id, error, rt.now(), rt.config.runtime.max_attempts
            ):
                log.error("entry %d quarantined: %s", entry_id, error)
        except Exception:
            log.exception("entry %d: could not record its failure", entry_id)
