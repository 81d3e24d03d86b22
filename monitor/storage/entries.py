"""The entries, articles and matches tables, and the outbox rows written with them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlite_utils

from monitor.clock import from_iso, to_iso
from monitor.feeds.urls import canonical_url
from monitor.records import Article, FeedEntry, Match, SlackMessage, StoredEntry
from monitor.storage.schema import transaction

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=2)


def add_entries(
    db: sqlite_utils.Database, feed_id: int, entries: Sequence[FeedEntry], now: datetime
) -> int:
    """Insert the entries not seen before (by feed and key); return how many were new."""
    with transaction(db.conn) as conn:
        before = conn.total_changes
        conn.executemany(
            """INSERT INTO entries (feed_id, key, url, canonical_url, title, published,
                                    first_seen_at, content)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_id, key) DO NOTHING""",
            [
                (
                    feed_id,
                    e.key,
                    e.url,
                    e.url and canonical_url(e.url),
                    e.title,
                    to_iso(e.published),
                    to_iso(now),
                    e.content,
                )
                for e in entries
            ],
        )
        return conn.total_changes - before


def pending_entries(
    db: sqlite_utils.Database, now: datetime, limit: int = 500
) -> list[StoredEntry]:
    """Entries to process now, oldest first; failed ones wait out their backoff."""
    rows = db.execute(
        """SELECT e.id, e.feed_id, coalesce(f.name, f.title, f.url), e.url, e.title,
                  e.published, e.attempts, f.url, e.content
           FROM entries e JOIN feeds f ON f.id = e.feed_id
           WHERE e.status = 'new' AND (e.retry_at IS NULL OR e.retry_at <= ?)
           ORDER BY e.id LIMIT ?""",
        (to_iso(now), limit),
    ).fetchall()
    return [
        StoredEntry(
            id=r[0],
            feed_id=r[1],
            feed_name=r[2],
            url=r[3],
            title=r[4],
            published=from_iso(r[5]),
            attempts=r[6],
            feed_url=r[7],
            content=r[8],
        )
        for r in rows
    ]


def already_processed_url(db: sqlite_utils.Database, entry: StoredEntry) -> bool:
    """True when another feed's entry with the same canonical link was already processed."""
    row = db.execute(
        """SELECT 1 FROM entries WHERE canonical_url = (SELECT canonical_url FROM entries
           WHERE id = ?) AND id != ? AND status = 'done' LIMIT 1""",
        (entry.id, entry.id),
    ).fetchone()
    return row is not None


def mark_done(
    db: sqlite_utils.Database | sqlite3.Connection, entry_id: int, note: str | None = None
) -> None:
    """Processed (or skipped, with the reason in `note`); inside a transaction or not."""
    db.execute("UPDATE entries SET status = 'done', last_error = ? WHERE id = ?", (note, entry_id))


def record_entry_failure(
    db: sqlite_utils.Database, entry: StoredEntry, error: str, now: datetime
) -> None:
    """Count a failed attempt and back off (2, 4, 8, 16 min); after MAX_ATTEMPTS, park it."""
    attempts = entry.attempts + 1
    retry_at = now + RETRY_BASE * 2 ** (attempts - 1)
    status = "failed" if attempts >= MAX_ATTEMPTS else "new"
    db.execute(
        "UPDATE entries SET attempts = ?, last_error = ?, status = ?, retry_at = ? WHERE id = ?",
        (attempts, error, status, to_iso(retry_at), entry.id),
    )


def insert_article(conn: sqlite3.Connection, entry_id: int, article: Article, now: datetime) -> int:
    """Store the article text (inside the caller's transaction); return its id."""
    cur = conn.execute(
        """INSERT INTO articles (entry_id, url, canonical_url, title, text, published,
                                 author, sitename, language, fetched_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            entry_id,
            article.source,
            article.canonical_url,
            article.title,
            article.text,
            to_iso(article.published),
            article.author,
            article.sitename,
            article.language,
            to_iso(now),
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def insert_alert(
    conn: sqlite3.Connection,
    article_id: int,
    match: Match,
    message: SlackMessage | None,
    now: datetime,
    *,
    story_id: int | None = None,
    parent_id: int | None = None,
    held: bool = False,
) -> int | None:
    """Record a match and, unless `message` is None, its outbox row: in the caller's
    transaction, so the decision to alert and the alert are stored together or not at all."""
    cur = conn.execute(
        "INSERT INTO matches (article_id, rule, terms, sentence, matched_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (article_id, match.rule, json.dumps(match.terms), match.sentence, to_iso(now)),
    )
    if message is None:
        return None
    cur = conn.execute(
        """INSERT INTO outbox (match_id, story_id, rule, parent_id, held, channel, text, blocks,
                               created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            cur.lastrowid,
            story_id,
            match.rule,
            parent_id,
            int(held),
            message.channel,
            message.text,
            json.dumps(message.blocks),
            to_iso(now),
        ),
    )
    return cur.lastrowid
