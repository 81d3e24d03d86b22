"""The stores: every operation of storage.Store, run off the event loop, on either backend.

Each call runs in a small thread pool, on that thread's own connection; writes are one
transaction each (SQLite: IMMEDIATE, retried while another process holds the lock;
PostgreSQL: READ COMMITTED with row locks, retried on a deadlock). The queries are the same
on both.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlite_utils

from monitor.config import FeedConfig
from monitor.records import (
    Analysis,
    Article,
    Delivered,
    FeedEntry,
    OutboxRow,
    SearchHit,
    StoredEntry,
    StoredFeed,
)
from monitor.storage.base import ExportKind, WritePolicy
from monitor.storage.postgres.connection import PgConnections
from monitor.storage.postgres.database import PgDatabase
from monitor.storage.sql import entries, feeds, history, operations, outbox, search, stories
from monitor.storage.sqlite.connection import Connections

P = ParamSpec("P")
T = TypeVar("T")
THREADS = 4


class SqlStore:
    """storage.Store on a database's connections (a backend: SqliteStore, PostgresStore)."""

    def __init__(self, conns: Connections | PgConnections, name: str) -> None:
        self._conns = conns
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix=name)
        self.where = conns.path

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, functools.partial(self._conns.read, fn, *args)
        )

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, functools.partial(self._conns.write, fn, *args)
        )

    async def view(self, fn: Callable[..., T], *args: Any) -> T:
        """A read-only query function of the caller's (the web pages'), off the event loop."""
        return await self._read(fn, *args)

    async def close(self) -> None:
        self._conns.closing = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._conns.close()

    async def check(self) -> None:
        """Raise StorageError if the database is gone (file deleted or replaced, server
        unreachable)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._conns.check_identity)

    # --- feeds ---------------------------------------------------------------------------

    async def sync_feeds(self, configured: Sequence[FeedConfig], now: datetime) -> None:
        await self._write(feeds.sync_feeds, configured, now)

    async def add_feed(
        self, url: str, name: str | None, interval: float, now: datetime, title: str | None
    ) -> bool:
        return await self._write(feeds.add_feed, url, name, interval, now, title)

    async def remove_feed(self, url: str) -> str:
        return await self._write(feeds.remove_feed, url)

    async def feed_status(self) -> list[dict[str, Any]]:
        return await self._read(feeds.feed_status)

    async def claim_due_feeds(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        limit: int,
        every_feed_but: Sequence[int] | None = None,
    ) -> list[StoredFeed]:
        return await self._write(
            functools.partial(feeds.claim_due_feeds, every_feed_but=every_feed_but),
            owner,
            now,
            lease,
            limit,
        )

    async def record_poll(
        self,
        feed_id: int,
        found: Sequence[FeedEntry],
        now: datetime,
        next_poll: datetime,
        *,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
    ) -> int:
        return await self._write(
            functools.partial(
                feeds.record_success, etag=etag, last_modified=last_modified, title=title
            ),
            feed_id,
            found,
            now,
            next_poll,
        )

    async def record_not_modified(self, feed_id: int, now: datetime, next_poll: datetime) -> None:
        await self._write(feeds.record_not_modified, feed_id, now, next_poll)

    async def record_feed_failure(
        self,
        feed_id: int,
        now: datetime,
        error: str,
        *,
        retry_after: float | None = None,
        gone: bool = False,
        internal: bool = False,
        max_internal: int = 5,
    ) -> bool:
        return await self._write(
            functools.partial(
                feeds.record_failure,
                retry_after=retry_after,
                gone=gone,
                internal=internal,
                max_internal=max_internal,
            ),
            feed_id,
            now,
            error,
        )

    async def record_move(self, feed_id: int, new_url: str) -> None:
        await self._write(feeds.record_move, feed_id, new_url)

    async def requeue_feeds(self, urls: Sequence[str] | None, now: datetime) -> int:
        return await self._write(feeds.requeue_feeds, urls, now)

    # --- entries -------------------------------------------------------------------------

    async def claim_entries(
        self, owner: str, now: datetime, lease: timedelta, limit: int
    ) -> list[StoredEntry]:
        return await self._write(entries.claim_entries, owner, now, lease, limit)

    async def skip_entry(self, entry_id: int, note: str, owner: str) -> None:
        await self._write(entries.skip_entry, entry_id, note, owner)

    async def record_entry_failure(
        self, entry_id: int, error: str, now: datetime, max_attempts: int
    ) -> bool:
        return await self._write(entries.record_failure, entry_id, error, now, max_attempts)

    async def save_analysis(
        self,
        entry: StoredEntry,
        analysis: Analysis,
        now: datetime,
        owner: str,
        policy: WritePolicy | None = None,
    ) -> tuple[bool, int | str | None]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool,
            functools.partial(
                self._conns.writes, stories.save_then_write, entry, analysis, now, owner, policy
            ),
        )

    async def write_waiting(
        self, now: datetime, policy: WritePolicy, limit: int
    ) -> list[tuple[int, int | str]]:
        """Stories and outbox rows for up to `limit` analysed entries, each entry in its own
        transaction: (entry id, rows queued or the error)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool,
            functools.partial(self._conns.writes, stories.write_waiting, now, policy, limit),
        )

    async def backlog(self, bound: int) -> int:
        return await self._read(entries.backlog, bound)

    async def next_entry_due(self) -> datetime | None:
        return await self._read(entries.next_entry_due)

    async def requeue_entries(self, ids: Sequence[int] | None) -> int:
        return await self._write(entries.requeue_entries, ids)

    async def quarantined_entries(self) -> list[dict[str, Any]]:
        return await self._read(entries.quarantined_entries)

    async def entry_counts(self) -> dict[str, int]:
        return await self._read(entries.entry_counts)

    async def stored_articles(self, since: datetime) -> list[tuple[Article, str]]:
        return await self._read(stories.stored_articles, since)

    # --- outbox --------------------------------------------------------------------------

    async def claim_channels(self, owner: str, now: datetime, lease: timedelta) -> list[str]:
        return await self._write(outbox.claim_channels, owner, now, lease)

    async def renew_channel(
        self, channel: str, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        return await self._write(outbox.renew_channel, channel, owner, now, lease)

    async def release_channel(self, channel: str, owner: str) -> None:
        await self._write(outbox.release_channel, channel, owner)

    async def last_post(self, channel: str) -> datetime | None:
        return await self._read(outbox.last_post, channel)

    async def ready_rows(self, channel: str, limit: int) -> list[OutboxRow]:
        return await self._read(outbox.ready_rows, channel, limit)

    async def mark_sending(self, alert_id: int) -> None:
        await self._write(outbox.mark_sending, alert_id)

    async def mark_sent(
        self, alert_id: int, delivered: Delivered, now: datetime
    ) -> tuple[str, str, Any, int] | None:
        return await self._write(outbox.mark_sent, alert_id, delivered, now)

    async def record_retry(
        self, alert_id: int, error: str, retry_at: datetime, *, uncertain: bool
    ) -> None:
        await self._write(
            functools.partial(outbox.record_retry, uncertain=uncertain), alert_id, error, retry_at
        )

    async def mark_failed(self, alert_id: int, reason: str, now: datetime) -> None:
        await self._write(outbox.mark_failed, alert_id, reason, now)

    async def mark_unverified(self, alert_id: int, reason: str, now: datetime) -> None:
        await self._write(outbox.mark_unverified, alert_id, reason, now)

    async def quarantine_alert(
        self, alert_id: int, error: str, now: datetime, max_attempts: int
    ) -> bool:
        return await self._write(outbox.quarantine, alert_id, error, now, max_attempts)

    async def requeue_alerts(self, ids: Sequence[int] | None, *, force: bool = False) -> int:
        return await self._write(functools.partial(outbox.requeue, force=force), ids)

    async def channel_id_for(self, channel: str) -> str | None:
        return await self._read(outbox.channel_id_for, channel)

    async def parent_for_update(self, parent_id: int) -> tuple[str, str, Any, int] | None:
        return await self._read(outbox.parent_for_update, parent_id)

    async def create_due_digests(self, now: datetime) -> int:
        return await self._write(outbox.create_due_digests, now)

    async def next_alert_due(self) -> datetime | None:
        return await self._read(outbox.next_due)

    async def problem_alerts(self) -> list[tuple[int, str, str, str]]:
        return await self._read(outbox.problem_alerts)

    async def failed_since(self, since: datetime) -> int:
        return await self._read(outbox.failed_since, since)

    async def oldest_pending(self) -> datetime | None:
        return await self._read(outbox.oldest_pending)

    async def outbox_counts(self) -> dict[str, int]:
        return await self._read(outbox.outbox_counts)

    # --- operations ----------------------------------------------------------------------

    async def heartbeat(self, replica: str, host: str, pid: int, now: datetime) -> None:
        await self._write(operations.heartbeat, replica, host, pid, now)

    async def renew_claims(self, owner: str, now: datetime, lease: timedelta) -> None:
        await self._write(operations.renew_claims, owner, now, lease)

    async def release_claims(self, owner: str, now: datetime) -> None:
        """At shutdown: give back feeds, entries and channels, so others take them now."""

        def release(db: sqlite_utils.Database) -> None:
            feeds.release_feeds(db, owner)
            entries.release_entries(db, owner)
            outbox.release_channels(db, owner)
            operations.stopped(db, owner, now)

        await self._write(release)

    async def prune(self, now: datetime, article_text: timedelta | None = None) -> int:
        """Forget what the runtime no longer needs (see operations.prune); with
        `article_text`, empty older articles' text (history.prune_texts)."""
        changed = await self._write(operations.prune, now)
        if article_text is not None:
            loop = asyncio.get_running_loop()
            changed += await loop.run_in_executor(
                self._pool,
                functools.partial(self._conns.writes, history.prune_texts, now - article_text, now),
            )
        return changed

    async def compact(self) -> str:
        """After pruning, once a day: history.compact, outside any transaction."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, functools.partial(self._conns.maintain, history.compact)
        )

    # --- history -------------------------------------------------------------------------

    async def search(
        self,
        query: str,
        *,
        since: datetime | None = None,
        speaker: str | None = None,
        limit: int = 50,
    ) -> list[SearchHit]:
        """Articles and statements matching `query`, best first (storage/sql/search.py)."""
        return await self._read(search.search, query, since, speaker, limit)

    async def export(
        self, kind: ExportKind, since: datetime, *, after: int = 0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """A page of articles, statements or alerts as records (history.export_rows)."""
        return await self._read(history.export_rows, kind, since, after, limit)

    async def replicas(self, now: datetime) -> list[dict[str, Any]]:
        return await self._read(operations.replicas, now)

    async def record_problem(self, kind: str, subject: str, detail: str, now: datetime) -> None:
        await self._write(operations.record_problem, kind, subject, detail, now)

    async def recent_problems(self, since: datetime) -> list[dict[str, Any]]:
        return await self._read(operations.recent_problems, since)


class SqliteStore(SqlStore):
    """storage.Store on one SQLite file (the embedded default)."""

    def __init__(self, path: Path | str) -> None:
        self._sqlite = Connections(path)
        super().__init__(self._sqlite, "sqlite")

    def sync_db(self) -> sqlite_utils.Database:
        """The calling thread's connection, for one-shot commands and tests."""
        return self._sqlite.db()


class PostgresStore(SqlStore):
    """storage.Store on a PostgreSQL database, shared by any number of replicas."""

    def __init__(self, url: str) -> None:
        self._server = PgConnections(url)
        super().__init__(self._server, "postgres")

    def sync_db(self) -> PgDatabase:
        """The calling thread's connection, for one-shot commands and tests."""
        return self._server.db()
