"""Replicas (each running process, its heartbeat and its claims) and problems worth
showing an operator (rule timeouts, rule files that do not load)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitor.clock import to_iso
from monitor.storage.sql.dialect import Db, insert, joined

PROBLEMS_KEPT = 1000


def heartbeat(db: Db, replica: str, host: str, pid: int, now: datetime) -> None:
    db.execute(
        """INSERT INTO replicas (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
               heartbeat_at = excluded.heartbeat_at, stopped_at = NULL""",
        (replica, host, pid, to_iso(now), to_iso(now)),
    )


def renew_claims(db: Db, replica: str, now: datetime, lease: timedelta) -> None:
    """Extend every lease this replica holds: alive and working, it keeps its work."""
    until = to_iso(now + lease)
    for table in ("feeds", "entries", "channels"):
        db.execute(
            f"UPDATE {table} SET lease_until = ? WHERE claimed_by = ? AND lease_until > ?",
            (until, replica, to_iso(now)),
        )


def stopped(db: Db, replica: str, now: datetime) -> None:
    db.execute("UPDATE replicas SET stopped_at = ? WHERE id = ?", (to_iso(now), replica))


def replicas(db: Db, now: datetime) -> list[dict[str, Any]]:
    """Replicas seen in the past day, with what each holds now."""
    channels = joined(db, "c.name", " ")
    return list(
        db.query(
            f"""SELECT r.id, r.host, r.pid, r.started_at, r.heartbeat_at, r.stopped_at,
                      (SELECT count(*) FROM feeds f WHERE f.claimed_by = r.id
                       AND f.lease_until > :now) AS feeds,
                      (SELECT count(*) FROM entries e WHERE e.claimed_by = r.id
                       AND e.lease_until > :now) AS entries,
                      (SELECT {channels} FROM channels c
                       WHERE c.claimed_by = r.id AND c.lease_until > :now) AS channels
               FROM replicas r WHERE r.heartbeat_at >= :since ORDER BY r.started_at""",
            {"now": to_iso(now), "since": to_iso(now - timedelta(days=1))},
        )
    )


def record_problem(db: Db, kind: str, subject: str, detail: str, now: datetime) -> None:
    insert(
        db,
        "problems",
        {"at": to_iso(now), "kind": kind, "subject": subject, "detail": detail[:2000]},
    )
    db.execute(
        "DELETE FROM problems WHERE id <= (SELECT max(id) FROM problems) - ?", (PROBLEMS_KEPT,)
    )


def recent_problems(db: Db, since: datetime, limit: int = 20) -> list[dict[str, Any]]:
    return list(
        db.query(
            """SELECT kind, subject, count(*) AS times, max(at) AS last,
                      (SELECT q.detail FROM problems q WHERE q.kind = p.kind
                       AND q.subject = p.subject ORDER BY q.id DESC LIMIT 1) AS detail
               FROM problems p WHERE at >= ? GROUP BY kind, subject
               ORDER BY last DESC LIMIT ?""",
            [to_iso(since), limit],
        )
    )


CONTENT_KEPT = timedelta(days=1)
REPLICAS_KEPT = timedelta(days=7)


def prune(db: Db, now: datetime) -> int:
    """Forget what the runtime no longer needs: the feed's own copy of an entry once the entry
    is done (the article itself is kept), and replicas gone for a week. Returns rows changed."""
    changed = db.execute(
        "UPDATE entries SET content = NULL WHERE status = 'done' AND content IS NOT NULL "
        "AND first_seen_at < ?",
        (to_iso(now - CONTENT_KEPT),),
    ).rowcount
    changed += db.execute(
        "DELETE FROM replicas WHERE heartbeat_at < ?", (to_iso(now - REPLICAS_KEPT),)
    ).rowcount
    return int(changed)
