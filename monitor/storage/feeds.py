"""The feeds table: configured feeds, their schedule, HTTP validators and health."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from monitor.clock import to_iso
from monitor.config import FeedConfig
from monitor.records import StoredFeed
from monitor.storage.schema import transaction

_COLUMNS = "id, url, name, title, etag, last_modified, fetch_url"
MAX_BACKOFF = timedelta(hours=24)


def _feed(row: Any) -> StoredFeed:
    return StoredFeed(*row)


def sync_feeds(db: sqlite_utils.Database, feeds: Sequence[FeedConfig], now: datetime) -> None:
    """Make the config's feeds follow monitor.yaml: add new ones (due now), update, disable
    removed ones. Feeds added with `monitor feeds add` or OPML are left alone."""
    with transaction(db.conn) as conn:
        conn.execute("UPDATE feeds SET enabled = 0 WHERE origin = 'config'")
        for feed in feeds:
            conn.execute(
                """INSERT INTO feeds (url, name, interval_seconds, enabled, next_poll_at)
                   VALUES (?, ?, ?, 1, ?)
                   ON CONFLICT (url) DO UPDATE SET name = excluded.name,
                       interval_seconds = excluded.interval_seconds, enabled = 1,
                       origin = 'config'""",
                (feed.url, feed.name, feed.interval.total_seconds(), to_iso(now)),
            )


def add_feed(
    db: sqlite_utils.Database,
    url: str,
    name: str | None,
    interval: float,
    now: datetime,
    title: str | None = None,
) -> bool:
    """A feed added by hand or from OPML (kept across restarts); False if already there."""
    with transaction(db.conn) as conn:
        if conn.execute("SELECT 1 FROM feeds WHERE url = ? AND enabled = 1", (url,)).fetchone():
            return False
        conn.execute(
            """INSERT INTO feeds (url, name, title, interval_seconds, enabled, next_poll_at,
                                  origin)
               VALUES (?, ?, ?, ?, 1, ?, 'added')
               ON CONFLICT (url) DO UPDATE SET enabled = 1, name = excluded.name""",
            (url, name, title, interval, to_iso(now)),
        )
    return True


def remove_feed(db: sqlite_utils.Database, url: str) -> str:
    """Disable an added feed; 'config' if it comes from monitor.yaml, 'missing' if unknown."""
    row = db.execute("SELECT origin FROM feeds WHERE url = ? AND enabled = 1", (url,)).fetchone()
    if row is None:
        return "missing"
    if row[0] == "config":
        return "config"
    db.execute("UPDATE feeds SET enabled = 0 WHERE url = ?", (url,))
    return "removed"


def enabled_feeds(db: sqlite_utils.Database) -> list[StoredFeed]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE enabled = 1 AND gone = 0 ORDER BY id")
    return [_feed(r) for r in rows.fetchall()]


def claim_due_feeds(
    db: sqlite_utils.Database, now: datetime, jitter: Callable[[], float]
) -> list[StoredFeed]:
    """Feeds whose next poll is due; their next poll moves one interval (± jitter) ahead.

    Claiming and rescheduling happen in one transaction, so two daemons sharing the database
    never poll the same feed twice. `jitter()` returns a fraction such as 0.07.
    """
    with transaction(db.conn) as conn:
        rows = conn.execute(
            f"""SELECT {_COLUMNS}, interval_seconds FROM feeds
                WHERE enabled = 1 AND gone = 0 AND next_poll_at <= ?
                ORDER BY next_poll_at, id""",
            (to_iso(now),),
        ).fetchall()
        for row in rows:
            delay = timedelta(seconds=row[-1] * (1 + jitter()))
            conn.execute(
                "UPDATE feeds SET next_poll_at = ? WHERE id = ?", (to_iso(now + delay), row[0])
            )
    return [_feed(r[:-1]) for r in rows]


def next_poll_at(db: sqlite_utils.Database) -> str | None:
    row = db.execute("SELECT min(next_poll_at) FROM feeds WHERE enabled = 1").fetchone()
    return row[0] if row else None


def record_success(
    db: sqlite_utils.Database,
    feed_id: int,
    now: datetime,
    *,
    etag: str | None,
    last_modified: str | None,
    title: str | None,
) -> None:
    db.execute(
        """UPDATE feeds SET etag = ?, last_modified = ?, title = coalesce(?, title),
               last_polled_at = ?, last_success_at = ?, last_error = NULL,
               consecutive_failures = 0 WHERE id = ?""",
        (etag, last_modified, title, to_iso(now), to_iso(now), feed_id),
    )


def record_not_modified(db: sqlite_utils.Database, feed_id: int, now: datetime) -> None:
    db.execute(
        """UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,
               consecutive_failures = 0 WHERE id = ?""",
        (to_iso(now), to_iso(now), feed_id),
    )


def record_failure(
    db: sqlite_utils.Database,
    feed_id: int,
    now: datetime,
    error: str,
    *,
    retry_after: float | None = None,
    gone: bool = False,
) -> None:
    """Record the error; back off (interval x 2^failures, at most a day, at least what a
    Retry-After asked); a 410 Gone stops polling the feed."""
    row = db.execute(
        "SELECT interval_seconds, consecutive_failures FROM feeds WHERE id = ?", (feed_id,)
    ).fetchone()
    interval, failures = (row[0], row[1]) if row else (300.0, 0)
    delay = min(MAX_BACKOFF, timedelta(seconds=interval * 2 ** (failures + 1)))
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    db.execute(
        """UPDATE feeds SET last_polled_at = ?, last_error = ?, next_poll_at = ?, gone = ?,
               consecutive_failures = consecutive_failures + 1 WHERE id = ?""",
        (to_iso(now), error, to_iso(now + delay), int(gone), feed_id),
    )


def record_move(db: sqlite_utils.Database, feed_id: int, new_url: str) -> None:
    """A permanent redirect: poll the new address from now on (the config keeps the old)."""
    db.execute("UPDATE feeds SET fetch_url = ? WHERE id = ?", (new_url, feed_id))


def reschedule(db: sqlite_utils.Database, feed_id: int, next_poll: datetime) -> None:
    db.execute("UPDATE feeds SET next_poll_at = ? WHERE id = ?", (to_iso(next_poll), feed_id))


def feed_status(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Everything `monitor status` shows per feed."""
    return list(
        db.query(
            """SELECT url, coalesce(name, title, url) AS name, enabled, last_success_at,
                      last_error, consecutive_failures, next_poll_at, fetch_url, gone, origin
               FROM feeds ORDER BY id"""
        )
    )
