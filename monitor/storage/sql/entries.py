"""The entries table and what processing stores: entries move new -> analysed -> done.

A processor claims `new` entries (a lease), stores the article with its statements and
matches (`analysed`), and the writer turns those into stories and outbox rows (`done`).
An entry whose processing keeps failing is `quarantined` after a few attempts, until
`monitor entries retry`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.clock import from_iso, to_iso
from monitor.feeds.urls import canonical_url
from monitor.records import Analysis, FeedEntry, StoredEntry
from monitor.storage.sql.dialect import Db, execute_many, insert_new, skip_locked

RETRY_BASE = timedelta(minutes=2)
_ENTRY = """e.id, e.feed_id, coalesce(f.name, f.title, f.url), e.url, f.url, e.title,
            e.published, e.attempts, e.content, e.canonical_url"""


def add_entries(db: Db, feed_id: int, entries: Sequence[FeedEntry], now: datetime) -> int:
    """Insert the entries not seen before (by feed and key); return how many were new.

    A new entry whose link another feed's entry already has is stored as done, pointing at
    it: the same article in two feeds is processed (and alerted) once.
    """
    (before,) = db.execute("SELECT coalesce(max(id), 0) FROM entries").fetchone()
    new = insert_new(
        db,
        "entries",
        [
            {
                "feed_id": feed_id,
                "key": e.key,
                "url": e.url,
                "canonical_url": e.url and canonical_url(e.url),
                "title": e.title,
                "published": to_iso(e.published),
                "first_seen_at": to_iso(now),
                "content": e.content,
                "status": "new",
                "attempts": 0,
            }
            for e in entries
        ],
    )
    db.execute(
        """UPDATE entries SET status = 'done', last_error = 'same article as entry ' || (
               SELECT min(o.id) FROM entries o WHERE o.canonical_url = entries.canonical_url
               AND o.id < entries.id AND o.status != 'quarantined')
           WHERE id > ? AND canonical_url IS NOT NULL AND EXISTS (
               SELECT 1 FROM entries o WHERE o.canonical_url = entries.canonical_url
               AND o.id < entries.id AND o.status != 'quarantined')""",
        (before,),
    )
    return new


def _stored(row: Any) -> StoredEntry:
    return StoredEntry(
        id=row[0],
        feed_id=row[1],
        feed_name=row[2],
        url=row[3],
        feed_url=row[4],
        title=row[5],
        published=from_iso(row[6]),
        attempts=row[7],
        content=row[8],
        canonical_url=row[9],
    )


def claim_entries(
    db: Db, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[StoredEntry]:
    """New entries due for processing, oldest first, that no live claim holds."""
    lock = skip_locked(db)
    ids = [
        r[0]
        for r in db.execute(
            f"""UPDATE entries SET claimed_by = :owner, lease_until = :lease
               WHERE id IN (
                   SELECT id FROM entries WHERE status = 'new'
                     AND (retry_at IS NULL OR retry_at <= :now)
                     AND (lease_until IS NULL OR lease_until <= :now)
                   ORDER BY id LIMIT :limit{lock})
               RETURNING id""",
            {"owner": owner, "now": to_iso(now), "lease": to_iso(now + lease), "limit": limit},
        ).fetchall()
    ]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"""SELECT {_ENTRY} FROM entries e JOIN feeds f ON f.id = e.feed_id
            WHERE e.id IN ({marks}) ORDER BY e.id""",
        ids,
    ).fetchall()
    return [_stored(r) for r in rows]


def release_entries(db: Db, owner: str) -> None:
    db.execute(
        "UPDATE entries SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?", (owner,)
    )


def skip_entry(db: Db, entry_id: int, note: str, owner: str) -> None:
    """Nothing to process (no text, robots.txt, a duplicate): done, with the reason."""
    db.execute(
        """UPDATE entries SET status = 'done', last_error = ?, processed_by = ?,
               claimed_by = NULL, lease_until = NULL WHERE id = ? AND status = 'new'""",
        (note, owner, entry_id),
    )


def record_failure(db: Db, entry_id: int, error: str, now: datetime, max_attempts: int) -> bool:
    """Count a failed attempt and back off (2, 4, 8, 16 min...); after `max_attempts`, the
    entry is quarantined. Returns True when it was. The stage it failed in is kept: an
    analysed entry that the writer could not write stays analysed."""
    row = db.execute("SELECT attempts FROM entries WHERE id = ?", (entry_id,)).fetchone()
    attempts = (row[0] if row else 0) + 1
    retry_at = now + RETRY_BASE * 2 ** min(attempts - 1, 12)
    quarantined = attempts >= max_attempts
    db.execute(
        """UPDATE entries SET attempts = ?, last_error = ?, retry_at = ?,
               status = CASE WHEN ? = 1 THEN 'quarantined' ELSE status END,
               claimed_by = NULL, lease_until = NULL WHERE id = ?""",
        (attempts, error[:2000], to_iso(retry_at), quarantined, entry_id),
    )
    return quarantined


def save_analysis(
    db: Db, entry: StoredEntry, analysis: Analysis, now: datetime, owner: str
) -> bool:
    """The article, its statements and matches; the entry becomes `analysed`.

    False when the entry is no longer ours to finish (another process took it over after
    our lease ran out, or the same link was stored meanwhile: then it is a duplicate).
    """
    current = db.execute(
        "SELECT status, claimed_by FROM entries WHERE id = ?", (entry.id,)
    ).fetchone()
    if current is None or current[0] != "new" or current[1] != owner:
        return False
    url_key = entry.canonical_url or f"entry:{entry.id}"
    holder = db.execute("SELECT entry_id FROM articles WHERE url_key = ?", (url_key,)).fetchone()
    if holder is not None:
        skip_entry(db, entry.id, f"same article as entry {holder[0]}", owner)
        return False
    article_id = _insert_article(db, entry.id, url_key, analysis, now)
    statement_ids = _insert_statements(db, article_id, analysis, now)
    _insert_matches(db, article_id, analysis, statement_ids, now)
    db.execute(
        """UPDATE entries SET status = 'analysed', processed_by = ?, last_error = NULL,
               claimed_by = NULL, lease_until = NULL WHERE id = ?""",
        (owner, entry.id),
    )
    return True


def _insert_article(db: Db, entry_id: int, url_key: str, analysis: Analysis, now: datetime) -> int:
    article = analysis.article
    dropped = [[d.text, d.cleaning_pass, d.pattern] for d in article.dropped]
    cur = db.execute(
        """INSERT INTO articles (entry_id, url, canonical_url, url_key, title, text, published,
                                 author, sitename, language, fetched_at, dropped)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        (
            entry_id,
            article.source,
            article.canonical_url,
            url_key,
            article.title,
            article.text,
            to_iso(article.published),
            article.author,
            article.sitename,
            article.language,
            to_iso(now),
            json.dumps(dropped, ensure_ascii=False),  # [] none; NULL unknown (older rows)
        ),
    )
    return int(cur.fetchone()[0])


def _insert_statements(db: Db, article_id: int, analysis: Analysis, now: datetime) -> list[int]:
    """One row per statement (plain INSERTs: this runs for every article)."""
    said_at = to_iso(analysis.article.published or now)
    ids = []
    for position, s in enumerate(analysis.statements):
        cur = db.execute(
            """INSERT INTO statements (article_id, position, speaker, role, quote, kind,
                   sentence, background, said_at, occasion, setting, start, "end", words)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            (
                article_id,
                position,
                s.speaker,
                s.role,
                s.quote,
                s.kind,
                s.sentence,
                int(s.background),
                said_at,
                s.occasion.isoformat() if s.occasion else None,
                s.setting,
                s.start,
                s.end,
                " ".join(sorted(s.words)) or None,
            ),
        )
        ids.append(int(cur.fetchone()[0]))
    return ids


def _insert_matches(
    db: Db,
    article_id: int,
    analysis: Analysis,
    statement_ids: list[int],
    now: datetime,
) -> None:
    rows = []
    for match in analysis.matches:
        statement_id = None
        if match.statement is not None and match.statement in analysis.statements:
            statement_id = statement_ids[analysis.statements.index(match.statement)]
        hits = json.dumps([[h.field, h.term, list(h.phrases)] for h in match.hits])
        rows.append(
            (
                article_id,
                match.rule,
                hits,
                match.sentence,
                to_iso(now),
                statement_id,
                match.channel,
                match.followups,
                match.mention,
                match.priority,
                match.throttle,
            )
        )
    execute_many(
        db,
        """INSERT INTO matches (article_id, rule, hits, sentence, matched_at, statement_id,
               channel, followups, mention, priority, throttle)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        rows,
    )


def backlog(db: Db, bound: int) -> int:
    """Unfinished entries, counted up to `bound` + 1 (enough to know it is over)."""
    (count,) = db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM entries WHERE status IN ('new', 'analysed') "
        "LIMIT ?) AS unfinished",
        (bound + 1,),
    ).fetchone()
    return int(count)


def next_entry_due(db: Db) -> datetime | None:
    """When the earliest entry backing off after a failure may be tried again."""
    (when,) = db.execute(
        "SELECT min(retry_at) FROM entries WHERE status IN ('new', 'analysed')"
    ).fetchone()
    return from_iso(when)


def requeue_entries(db: Db, ids: Sequence[int] | None) -> int:
    """Quarantined entries (all, or these) back in the queue with fresh attempts."""
    where, params = "status = 'quarantined'", []
    if ids is not None:
        where += f" AND id IN ({','.join('?' * len(ids))})"
        params = list(ids)
    cur = db.execute(
        f"""UPDATE entries SET status = CASE WHEN EXISTS (
                SELECT 1 FROM articles a WHERE a.entry_id = entries.id) THEN 'analysed'
                ELSE 'new' END,
                attempts = 0, retry_at = NULL, claimed_by = NULL, lease_until = NULL
            WHERE {where}""",
        params,
    )
    return int(cur.rowcount)


def quarantined_entries(db: Db, limit: int = 20) -> list[dict[str, Any]]:
    return list(
        db.query(
            """SELECT e.id, e.url, e.attempts, e.last_error, coalesce(f.name, f.title, f.url)
                      AS feed
               FROM entries e JOIN feeds f ON f.id = e.feed_id
               WHERE e.status = 'quarantined' ORDER BY e.id DESC LIMIT ?""",
            [limit],
        )
    )


def entry_counts(db: Db) -> dict[str, int]:
    counts = {"new": 0, "analysed": 0, "done": 0, "quarantined": 0}
    counts.update(dict(db.execute("SELECT status, count(*) FROM entries GROUP BY status")))
    return counts
