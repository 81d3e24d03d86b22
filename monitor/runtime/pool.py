"""A pool of worker processes for the CPU work, each item bounded in time.

Unlike concurrent.futures' process pool, one worker that dies or hangs fails only its own
item: the pool knows which worker holds which task, kills a worker past the deadline, and
starts a new one in its place. Workers are forked from a forkserver that has imported the
extraction stack once, so a replacement is ready in milliseconds, and they are recycled
after a number of tasks to keep memory bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from monitor.errors import MonitorError
from monitor.matching.rules import Rule
from monitor.runtime.work import Result, SetRules, Task, WorkerSetup, worker_main

log = logging.getLogger(__name__)
MAX_TASKS_PER_WORKER = 2000
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["monitor.runtime.work"])


class WorkerLost(MonitorError):
    """The worker running an item died or ran past the item's deadline (it was replaced)."""


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    generation: int = -1
    tasks: int = 0
    busy: bool = False


class WorkerPool:
    """`await pool.run(task)`: at most `size` tasks at once, each within `deadline` seconds."""

    def __init__(self, size: int, setup: WorkerSetup, deadline: float) -> None:
        self.size = size
        self._setup = setup
        self._deadline = deadline
        self._idle: list[_Worker] = []
        self._waiting: list[tuple[int, int, asyncio.Future[_Worker]]] = []  # a heap
        self._order = itertools.count()
        self._all: set[_Worker] = set()
        self._threads = ThreadPoolExecutor(size + 1, thread_name_prefix="pool")
        self._rules: SetRules = SetRules(generation=0, rules=())
        self.replaced = 0  # workers that died or were killed, for status and tests
        self._closed = False

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        workers = await asyncio.gather(
            *(loop.run_in_executor(self._threads, self._spawn) for _ in range(self.size))
        )
        for worker in workers:
            self._release(worker)

    def set_rules(self, generation: int, rules: tuple[Rule, ...]) -> None:
        """Workers switch to these rules before their next task."""
        self._rules = SetRules(generation=generation, rules=rules)

    def pids(self, *, busy: bool | None = None) -> list[int]:
        """The workers' process ids (only the busy or idle ones, if asked): for status."""
        return [
            w.process.pid
            for w in self._all
            if w.process.pid is not None and (busy is None or w.busy == busy)
        ]

    def _spawn(self) -> _Worker:
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=worker_main, args=(child, self._setup), name="monitor-worker", daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process=process, conn=parent)
        self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        self._all.discard(worker)
        if kill and worker.process.is_alive():
            worker.process.kill()
        worker.conn.close()
        worker.process.join(5)

    def _call(self, worker: _Worker, task: Task) -> Result:
        """In a pool thread: bring the worker's rules up to date, send the task, wait."""
        rules = self._rules
        if worker.generation != rules.generation:
            worker.conn.send(rules)
            worker.generation = rules.generation
        worker.conn.send(task)
        result: Result = worker.conn.recv()
        return result

    async def _acquire(self, priority: int) -> _Worker:
        """An idle worker; when none is, wait in line (lower `priority` first, then FIFO)."""
        if self._idle and not self._waiting:
            return self._idle.pop()
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), waiter))
        return await waiter

    def _release(self, worker: _Worker) -> None:
        while self._waiting:
            _, _, waiter = heapq.heappop(self._waiting)
            if not waiter.done():  # a waiter cancelled meanwhile is skipped
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    async def run(self, task: Task, *, priority: int = 1) -> Result:
        """Run `task` on a worker. Waiting tasks go in order of `priority`, so a feed's parse
        (0) is not queued behind a backlog of articles (1)."""
        loop = asyncio.get_running_loop()
        worker = await self._acquire(priority)
        keep = True
        try:
            if not worker.process.is_alive():
                worker = await self._replace(worker, reason="found dead")
            worker.busy = True
            call = loop.run_in_executor(self._threads, self._call, worker, task)
            try:
                result = await asyncio.wait_for(call, self._deadline)
            except TimeoutError:
                keep = False
                raise WorkerLost(
                    f"the work took longer than {self._deadline:g}s; its worker was replaced"
                ) from None
            except (EOFError, OSError) as e:
                keep = False
                code = worker.process.exitcode
                raise WorkerLost(
                    f"the worker process died during the work (exit code {code}): {e!r}"
                ) from None
            worker.tasks += 1
            keep = worker.tasks < MAX_TASKS_PER_WORKER
            return result
        except asyncio.CancelledError:
            keep = False  # the worker may still be busy with it: its answer must not leak
            raise
        finally:
            worker.busy = False
            if keep:
                self._release(worker)
            else:
                self._schedule_replacement(worker)

    def _schedule_replacement(self, worker: _Worker) -> None:
        task = asyncio.get_running_loop().create_task(self._replace_and_release(worker))
        task.add_done_callback(_log_failure)

    async def _replace_and_release(self, worker: _Worker) -> None:
        if self._closed:  # shutting down: the worker goes (killed: quick), no new one comes
            self._retire(worker, kill=True)
            return
        fresh = await self._replace(worker, reason="replaced")
        self._release(fresh)

    async def _replace(self, worker: _Worker, *, reason: str) -> _Worker:
        loop = asyncio.get_running_loop()
        recycled = worker.tasks >= MAX_TASKS_PER_WORKER and worker.process.is_alive()
        if not recycled:
            self.replaced += 1
            log.warning("worker process %s %s", worker.process.pid, reason)
        await loop.run_in_executor(self._threads, lambda: self._retire(worker, kill=True))
        return await loop.run_in_executor(self._threads, self._spawn)

    async def close(self) -> None:
        """Stop every worker now (their items' leases expire or are released)."""
        self._closed = True
        for worker in list(self._all):
            with contextlib.suppress(Exception):
                worker.process.kill()
        for worker in list(self._all):
            with contextlib.suppress(Exception):
                self._retire(worker, kill=True)
        self._threads.shutdown(wait=False, cancel_futures=True)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("could not start a worker process: %s", task.exception())
