"""The history kept for people, not for the pipeline: export and retention.

Retention empties the text of articles fetched longer ago than `retention.article_text`
(`text` becomes '', `dropped` NULL, `text_pruned_at` says when); their search index entries
for the text go with it (SQLite: the FTS5 triggers; PostgreSQL: the generated column).
Titles, links, statements, stories, matches, alerts and entries (with their keys and
canonical links: the fingerprints that keep an article from being fetched and alerted
twice) are kept. `compact` then gives the space back (SQLite) or refreshes the planner's
statistics (PostgreSQL).

Export reads articles, statements and alerts as plain records, a page at a time, in id
order (`export_rows`), so any history fits through it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from monitor.clock import to_iso
from monitor.storage.base import ExportKind
from monitor.storage.sql.dialect import Db, is_postgres

EXPORT_KINDS: tuple[ExportKind, ...] = ("article", "statement", "alert")
PRUNE_BATCH = 500  # articles emptied per transaction: other writers wait at most this long
VACUUM_FREE_SHARE = 0.10  # SQLite: rewrite the file when this share of its pages is free


def prune_texts(db: Db, transact: Callable[..., object], cutoff: datetime, now: datetime) -> int:
    """Empty the text of articles fetched before `cutoff`, PRUNE_BATCH per transaction;
    returns how many were pruned."""
    pruned = 0
    while True:
        done = transact(_prune_batch, cutoff, now)
        assert isinstance(done, int)
        pruned += done
        if done < PRUNE_BATCH:
            return pruned


def _prune_batch(db: Db, cutoff: datetime, now: datetime) -> int:
    cur = db.execute(
        """UPDATE articles SET text = '', dropped = NULL, text_pruned_at = ?
           WHERE id IN (SELECT id FROM articles WHERE text_pruned_at IS NULL
                        AND fetched_at < ? ORDER BY fetched_at LIMIT ?)""",
        (to_iso(now), to_iso(cutoff), PRUNE_BATCH),
    )
    return max(int(cur.rowcount), 0)


def compact(db: Db) -> str:
    """Run outside any transaction. SQLite: merge the search indexes' segments (what
    retention deleted leaves them), update the planner's statistics (`PRAGMA optimize`) and,
    when at least VACUUM_FREE_SHARE of the file is free pages, VACUUM it (then truncate the
    write-ahead log, which VACUUM filled with the whole database). PostgreSQL: ANALYZE
    (autovacuum gives dead rows' space back to the tables). Returns what it did."""
    if is_postgres(db):
        db.execute("ANALYZE")
        return "analyzed"
    for table in ("articles_fts", "statements_fts"):
        db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    db.execute("PRAGMA optimize")
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    (free,) = db.execute("PRAGMA freelist_count").fetchone()
    if not pages or free < pages * VACUUM_FREE_SHARE:
        return f"optimized ({free} of {pages} pages free: no VACUUM needed)"
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (after,) = db.execute("PRAGMA page_count").fetchone()
    return f"vacuumed ({pages} -> {after} pages)"


# The fields of each kind's records, in order (the CSV columns).
EXPORT_COLUMNS: dict[ExportKind, tuple[str, ...]] = {
    "article": (
        "id", "url", "canonical_url", "title", "published", "author", "sitename", "language",
        "feed", "fetched_at", "text", "dropped", "text_pruned_at",
    ),
    "statement": (
        "id", "article_id", "story_id", "url", "speaker", "role", "quote", "kind", "sentence",
        "background", "said_at", "occasion",
    ),
    "alert": (
        "id", "kind", "rule", "channel", "status", "story_id", "parent_id", "digest_id", "held",
        "attempts", "last_error", "created_at", "sent_at", "failed_at", "slack_channel", "ts",
        "facts", "text",
    ),
}  # fmt: skip
_EXPORTS: dict[ExportKind, str] = {
    "article": """
        SELECT a.id, a.url, a.canonical_url, a.title, a.published, a.author, a.sitename,
               a.language, coalesce(f.name, f.title, f.url) AS feed, a.fetched_at, a.text,
               a.dropped, a.text_pruned_at
        FROM articles a JOIN entries e ON e.id = a.entry_id JOIN feeds f ON f.id = e.feed_id
        WHERE a.id > :after AND a.fetched_at >= :since ORDER BY a.id LIMIT :limit""",
    "statement": """
        SELECT s.id, s.article_id, s.story_id, a.url, s.speaker, s.role, s.quote, s.kind,
               s.sentence, s.background, s.said_at, s.occasion
        FROM statements s JOIN articles a ON a.id = s.article_id
        WHERE s.id > :after AND a.fetched_at >= :since ORDER BY s.id LIMIT :limit""",
    "alert": """
        SELECT id, kind, rule, channel, status, story_id, parent_id, digest_id, held,
               attempts, last_error, created_at, sent_at, failed_at, slack_channel, ts,
               facts, text
        FROM outbox WHERE id > :after AND created_at >= :since ORDER BY id LIMIT :limit""",
}


def export_rows(
    db: Db, kind: ExportKind, since: datetime, after: int, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` records of one kind with ids after `after`, in id order: articles
    fetched since `since`, the statements of those articles, alerts (outbox rows: alerts,
    thread follow-ups, digests) created since. JSON columns come back parsed, flags as
    booleans."""
    rows = db.query(_EXPORTS[kind], {"after": after, "since": to_iso(since), "limit": limit})
    records = []
    for row in rows:
        record = dict(row)
        for column in ("dropped", "facts"):
            if record.get(column) is not None:
                record[column] = json.loads(record[column])
        for column in ("background", "held"):
            if column in record:
                record[column] = bool(record[column])
        records.append(record)
    return records
