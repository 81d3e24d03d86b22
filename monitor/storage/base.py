"""The Store: every operation the stages and commands need from the database.

The SQLite store (storage/sqlite/) is the embedded default. Claims are leases
(`claimed_by`, `lease_until`): any number of processes on one database split the work, and
a process that dies loses its claims when they expire. On a server database the claim
operations become `SELECT … FOR UPDATE SKIP LOCKED`; identity (one article per link, one
top-level alert per story and rule) is held by unique constraints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

from monitor.config import FeedConfig
from monitor.records import (
    AlertDraft,
    Analysis,
    Article,
    Delivered,
    FeedEntry,
    OutboxRow,
    PlannedAlert,
    SearchHit,
    StoredEntry,
    StoredFeed,
    StoredStatement,
    StoryChoice,
)

T = TypeVar("T")
ExportKind = Literal["article", "statement", "alert"]  # what `monitor export` writes
StoryChooser = Callable[[Sequence[StoredStatement], Sequence[StoredStatement]], StoryChoice]
AlertPlanner = Callable[[AlertDraft], PlannedAlert | None]


@dataclass(frozen=True)
class WritePolicy:
    """What the writer's transaction decides with: pure functions (statements/stories.py,
    alerts/plan.py), so the store only loads what they need and stores what they decide."""

    window: timedelta  # reports of a statement this far apart (article dates) may meet
    default_channel: str
    choose_story: StoryChooser
    plan_alert: AlertPlanner


class Store(Protocol):
    async def add_feed(
        self,
        url: str,
        name: str | None,
        interval: float,
        now: datetime,
        title: str | None,
    ) -> bool: ...

    async def backlog(self, bound: int) -> int: ...

    async def channel_id_for(self, channel: str) -> str | None: ...

    async def check(self) -> None:
        """Raise StorageError when the database is gone or replaced under us."""

    async def claim_channels(self, owner: str, now: datetime, lease: timedelta) -> list[str]:
        """Channels whose next alert is due and whose delivery lease is free (or
        ours), now ours: one process at a time delivers to a channel, in order and paced."""

    async def claim_due_feeds(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        limit: int,
        every_feed_but: Sequence[int] | None = None,
    ) -> list[StoredFeed]:
        """Feeds due for a poll that no live lease holds, leased to `owner`
        (`FOR UPDATE SKIP LOCKED` on PostgreSQL). With `every_feed_but`, every feed not in it
        (run --once), but those backing off."""

    async def claim_entries(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[StoredEntry]:
        """New entries due for processing, oldest first, leased to `owner`."""

    async def close(self) -> None:
        """Release the connections (at the end of a run)."""

    async def create_due_digests(self, now: datetime) -> int: ...

    async def entry_counts(self) -> dict[str, int]: ...

    async def failed_since(self, since: datetime) -> int: ...

    async def feed_status(self) -> list[dict[str, Any]]: ...

    async def heartbeat(self, replica: str, host: str, pid: int, now: datetime) -> None: ...

    async def last_post(self, channel: str) -> datetime | None: ...

    async def mark_failed(self, alert_id: int, reason: str, now: datetime) -> None: ...

    async def mark_sending(self, alert_id: int) -> None: ...

    async def mark_sent(
        self,
        alert_id: int,
        delivered: Delivered,
        now: datetime,
    ) -> tuple[str, str, Any, int] | None: ...

    async def mark_unverified(self, alert_id: int, reason: str, now: datetime) -> None: ...

    async def next_alert_due(self) -> datetime | None: ...

    async def next_entry_due(self) -> datetime | None: ...

    async def oldest_pending(self) -> datetime | None: ...

    async def outbox_counts(self) -> dict[str, int]: ...

    async def parent_for_update(self, parent_id: int) -> tuple[str, str, Any, int] | None: ...

    async def problem_alerts(self) -> list[tuple[int, str, str, str]]: ...

    async def prune(self, now: datetime, article_text: timedelta | None = None) -> int:
        """Forget what the runtime no longer needs: feed copies of done entries, old replicas;
        with `article_text` (retention.article_text), the text of articles fetched longer
        ago than that (storage/sql/history.py: titles, links, statements and alerts stay).
        Returns the rows changed."""

    async def compact(self) -> str:
        """Once a day after pruning: give freed space back (SQLite: search index merge,
        VACUUM when worth it) or refresh the planner's statistics (PostgreSQL: ANALYZE).
        Returns what it did, for the log."""

    async def search(
        self,
        query: str,
        *,
        since: datetime | None = None,
        speaker: str | None = None,
        limit: int = 50,
    ) -> list[SearchHit]:
        """Articles (title, text) and statements (speaker, quote) matching `query`, best
        first (storage/sql/search.py has the syntax; any input is accepted, and one with no
        word finds nothing). `since`: published (statements: said) since then. `speaker`:
        only that speaker's statements (case-insensitive; a surname alone matches), newest
        first when the query has no word."""

    async def export(
        self,
        kind: ExportKind,
        since: datetime,
        *,
        after: int = 0,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """One page of the history as plain records (`monitor export`): up to `limit`
        articles, statements or alerts with ids after `after`, in id order (storage/sql/
        history.py says which); call again with the last id until a page comes back short."""

    async def quarantine_alert(
        self,
        alert_id: int,
        error: str,
        now: datetime,
        max_attempts: int,
    ) -> bool: ...

    async def quarantined_entries(self) -> list[dict[str, Any]]: ...

    async def ready_rows(self, channel: str, limit: int) -> list[OutboxRow]: ...

    async def recent_problems(self, since: datetime) -> list[dict[str, Any]]: ...

    async def record_entry_failure(
        self,
        entry_id: int,
        error: str,
        now: datetime,
        max_attempts: int,
    ) -> bool: ...

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
    ) -> bool: ...

    async def record_move(self, feed_id: int, new_url: str) -> None: ...

    async def record_not_modified(
        self, feed_id: int, now: datetime, next_poll: datetime
    ) -> None: ...

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
        """A successful poll: the new entries, the feed's health and next poll."""

    async def record_problem(self, kind: str, subject: str, detail: str, now: datetime) -> None: ...

    async def record_retry(
        self,
        alert_id: int,
        error: str,
        retry_at: datetime,
        *,
        uncertain: bool,
    ) -> None: ...

    async def release_channel(self, channel: str, owner: str) -> None: ...

    async def release_claims(self, owner: str, now: datetime) -> None:
        """Give back every lease `owner` holds (at shutdown, or for a dead replica)."""

    async def remove_feed(self, url: str) -> str: ...

    async def renew_channel(
        self,
        channel: str,
        owner: str,
        now: datetime,
        lease: timedelta,
    ) -> bool:
        """Extend our delivery lease of a channel; False if another process has it."""

    async def renew_claims(self, owner: str, now: datetime, lease: timedelta) -> None:
        """Extend every lease `owner` holds (the heartbeat of a live process)."""

    async def replicas(self, now: datetime) -> list[dict[str, Any]]: ...

    async def requeue_alerts(self, ids: Sequence[int] | None, *, force: bool = False) -> int: ...

    async def requeue_entries(self, ids: Sequence[int] | None) -> int: ...

    async def requeue_feeds(self, urls: Sequence[str] | None, now: datetime) -> int: ...

    async def save_analysis(
        self,
        entry: StoredEntry,
        analysis: Analysis,
        now: datetime,
        owner: str,
        policy: WritePolicy | None = None,
    ) -> tuple[bool, int | str | None]:
        """Store an entry's article, statements and matches (it becomes analysed); with
        `policy`, then write its stories and alerts too, on the same trip (in a transaction
        of its own). (saved: False when the entry is no longer ours or its link was stored
        meanwhile; rows queued, or the error of the writing, or None when not written)."""

    async def skip_entry(self, entry_id: int, note: str, owner: str) -> None: ...

    async def stored_articles(self, since: datetime) -> list[tuple[Article, str]]: ...

    async def sync_feeds(self, configured: Sequence[FeedConfig], now: datetime) -> None: ...

    async def view(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(db, *args)` on a connection of the database, for read-only queries of their
        own (the web pages': monitor/web/queries.py)."""

    async def write_waiting(
        self,
        now: datetime,
        policy: WritePolicy,
        limit: int,
    ) -> list[tuple[int, int | str]]:
        """Stories and outbox rows for up to `limit` analysed entries, each entry
        in a transaction of its own: (entry id, rows queued, or the error)."""
