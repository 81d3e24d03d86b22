"""The feeds table: configured feeds, their schedule, claims, HTTP validators and health."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.clock import from_iso, to_iso
from monitor.config import FeedConfig
from monitor.records import FeedEntry, StoredFeed
from monitor.storage.sql import entries as entry_table
from monitor.storage.sql.dialect import Db, insert_new, json_ids, skip_locked

_COLUMNS = "id, url, name, title, etag, last_modified, fetch_url, interval_seconds, next_poll_at"
MAX_BACKOFF = timedelta(hours=24)


def _feed(row: Any) -> StoredFeed:
    return StoredFeed(
        id=row[0],
        url=row[1],
        name=row[2],
        title=row[3],
        etag=row[4],
        last_modified=row[5],
        fetch_url=row[6],
        interval=row[7],
        next_poll_at=from_iso(row[8]),
    )


def sync_feeds(db: Db, feeds: Sequence[FeedConfig], now: datetime) -> None:
    """Make the config's feeds follow monitor.yaml: add new ones (due now), update, disable
    removed ones. Feeds added with `monitor feeds add` or OPML are left alone."""
    db.execute("UPDATE feeds SET enabled = 0 WHERE origin = 'config'")
    insert_new(
        db,
        "feeds",
        [{"url": f.url, "interval_seconds": 0.0, "next_poll_at": to_iso(now)} for f in feeds],
    )
    for f in feeds:
        db.execute(
            "UPDATE feeds SET name = ?, interval_seconds = ?, enabled = 1, origin = 'config' "
            "WHERE url = ?",
            (f.name, f.interval.total_seconds(), f.url),
        )


def add_feed(
    db: Db,
    url: str,
    name: str | None,
    interval: float,
    now: datetime,
    title: str | None = None,
) -> bool:
    """A feed added by hand or from OPML (kept across restarts); False if already there."""
    if db.execute("SELECT 1 FROM feeds WHERE url = ? AND enabled = 1", (url,)).fetchone():
        return False
    db.execute(
        """INSERT INTO feeds (url, name, title, interval_seconds, enabled, next_poll_at, origin)
           VALUES (?, ?, ?, ?, 1, ?, 'added')
           ON CONFLICT (url) DO UPDATE SET enabled = 1, name = excluded.name""",
        (url, name, title, interval, to_iso(now)),
    )
    return True


def remove_feed(db: Db, url: str) -> str:
    """Disable an added feed; 'config' if it comes from monitor.yaml, 'missing' if unknown."""
    row = db.execute("SELECT origin FROM feeds WHERE url = ? AND enabled = 1", (url,)).fetchone()
    if row is None:
        return "missing"
    if row[0] == "config":
        return "config"
    db.execute("UPDATE feeds SET enabled = 0 WHERE url = ?", (url,))
    return "removed"


def enabled_feeds(db: Db) -> list[StoredFeed]:
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM feeds WHERE enabled = 1 AND gone = 0 ORDER BY id"
    ).fetchall()
    return [_feed(r) for r in rows]


def claim_due_feeds(
    db: Db,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    every_feed_but: Sequence[int] | None = None,
) -> list[StoredFeed]:
    """Feeds due for a poll that no live claim holds, claimed for `lease`.

    With `every_feed_but` (run --once), every feed not in it, due or not, unless it is
    backing off after failures. Claims expire: a process that dies mid-poll leaves the feed
    due.
    """
    due = "next_poll_at <= :now"
    if every_feed_but is not None:
        due = (
            "(next_poll_at <= :now OR consecutive_failures = 0) "
            f"AND id NOT IN {json_ids(db, ':polled')}"
        )
    rows = db.execute(
        f"""UPDATE feeds SET claimed_by = :owner, lease_until = :lease
            WHERE id IN (
                SELECT id FROM feeds
                WHERE enabled = 1 AND gone = 0 AND quarantined = 0 AND {due}
                  AND (lease_until IS NULL OR lease_until <= :now)
                ORDER BY next_poll_at, id LIMIT :limit{skip_locked(db)})
            RETURNING {_COLUMNS}""",
        {
            "owner": owner,
            "now": to_iso(now),
            "lease": to_iso(now + lease),
            "limit": limit,
            "polled": json.dumps(list(every_feed_but or [])),
        },
    ).fetchall()
    return sorted((_feed(r) for r in rows), key=lambda f: f.id)


def release_feeds(db: Db, owner: str) -> None:
    """Give back every feed this process holds (at shutdown: others may poll them now)."""
    db.execute(
        "UPDATE feeds SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?", (owner,)
    )


def next_poll_at(db: Db) -> str | None:
    row = db.execute("SELECT min(next_poll_at) FROM feeds WHERE enabled = 1").fetchone()
    return row[0] if row else None


def record_success(
    db: Db,
    feed_id: int,
    entries: Sequence[FeedEntry],
    now: datetime,
    next_poll: datetime,
    *,
    etag: str | None,
    last_modified: str | None,
    title: str | None,
) -> int:
    """Store the new entries and the feed's health and next poll; return how many were new."""
    new = entry_table.add_entries(db, feed_id, entries, now)
    db.execute(
        """UPDATE feeds SET etag = ?, last_modified = ?, title = coalesce(?, title),
               last_polled_at = ?, last_success_at = ?, last_error = NULL,
               consecutive_failures = 0, internal_failures = 0, next_poll_at = ?,
               claimed_by = NULL, lease_until = NULL WHERE id = ?""",
        (etag, last_modified, title, to_iso(now), to_iso(now), to_iso(next_poll), feed_id),
    )
    return new


def record_not_modified(db: Db, feed_id: int, now: datetime, next_poll: datetime) -> None:
    db.execute(
        """UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,
               consecutive_failures = 0, internal_failures = 0, next_poll_at = ?,
               claimed_by = NULL, lease_until = NULL WHERE id = ?""",
        (to_iso(now), to_iso(now), to_iso(next_poll), feed_id),
    )


def record_failure(
    db: Db,
    feed_id: int,
    now: datetime,
    error: str,
    *,
    retry_after: float | None = None,
    gone: bool = False,
    internal: bool = False,
    max_internal: int = 5,
) -> bool:
    """Record the error; back off (interval x 2^failures, at most a day, at least what a
    Retry-After asked); a 410 Gone stops polling the feed. A failure that was a bug (not
    the feed's doing) counts towards quarantine. Returns True when the feed is quarantined.
    """
    row = db.execute(
        "SELECT interval_seconds, consecutive_failures, internal_failures FROM feeds WHERE id = ?",
        (feed_id,),
    ).fetchone()
    interval, failures, bugs = (row[0], row[1], row[2]) if row else (300.0, 0, 0)
    delay = min(MAX_BACKOFF, timedelta(seconds=max(interval, 1.0) * 2 ** min(failures + 1, 20)))
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, MAX_BACKOFF.total_seconds())))
    bugs = bugs + 1 if internal else 0
    quarantined = internal and bugs >= max_internal
    db.execute(
        """UPDATE feeds SET last_polled_at = ?, last_error = ?, next_poll_at = ?, gone = ?,
               consecutive_failures = consecutive_failures + 1, internal_failures = ?,
               quarantined = ?, claimed_by = NULL, lease_until = NULL WHERE id = ?""",
        (to_iso(now), error, to_iso(now + delay), int(gone), bugs, int(quarantined), feed_id),
    )
    return quarantined


def record_move(db: Db, feed_id: int, new_url: str) -> None:
    """A permanent redirect: poll the new address from now on (the config keeps the old)."""
    db.execute("UPDATE feeds SET fetch_url = ? WHERE id = ?", (new_url, feed_id))


def requeue_feeds(db: Db, urls: Sequence[str] | None, now: datetime) -> int:
    """Quarantined feeds (all, or these) polled again at once; returns how many."""
    where, params = "quarantined = 1", [to_iso(now)]
    if urls is not None:
        where += f" AND url IN ({','.join('?' * len(urls))})"
        params += list(urls)
    cur = db.execute(
        f"UPDATE feeds SET quarantined = 0, internal_failures = 0, next_poll_at = ? WHERE {where}",
        params,
    )
    return int(cur.rowcount)


def feed_status(db: Db) -> list[dict[str, Any]]:
    """Everything `monitor status` shows per feed."""
    return list(
        db.query(
            """SELECT url, coalesce(name, title, url) AS name, enabled, last_success_at,
                      last_error, consecutive_failures, next_poll_at, fetch_url, gone, origin,
                      quarantined, claimed_by, lease_until
               FROM feeds ORDER BY id"""
        )
    )
