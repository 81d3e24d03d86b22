"""The alert outbox: rows written with their match, delivered in order, never dropped."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from monitor.clock import to_iso
from monitor.records import PendingAlert


def pending_alerts(db: sqlite_utils.Database) -> list[PendingAlert]:
    """Pending alerts in the order their entries arrived (feed order, not completion order).

    A thread reply waits until the alert it answers has been sent (it needs its `ts`).
    """
    rows = db.execute(
        """SELECT o.id, o.channel, o.text, o.blocks, o.attempts, o.parent_id, p.ts
           FROM outbox o
           JOIN matches m ON m.id = o.match_id JOIN articles a ON a.id = m.article_id
           LEFT JOIN outbox p ON p.id = o.parent_id
           WHERE o.status = 'pending' AND o.held = 0
             AND (o.parent_id IS NULL OR p.status = 'sent')
           ORDER BY a.entry_id, o.id"""
    ).fetchall()
    return [
        PendingAlert(
            id=r[0],
            channel=r[1],
            text=r[2],
            blocks=json.loads(r[3]),
            attempts=r[4],
            parent_id=r[5],
            thread_ts=r[6],
        )
        for r in rows
    ]


def mark_sent(db: sqlite_utils.Database, alert_id: int, ts: str | None, now: datetime) -> None:
    db.execute(
        "UPDATE outbox SET status = 'sent', ts = ?, sent_at = ?, attempts = attempts + 1, "
        "last_error = NULL WHERE id = ?",
        (ts, to_iso(now), alert_id),
    )


def record_attempt_failure(db: sqlite_utils.Database, alert_id: int, error: str) -> None:
    """The alert stays pending; the next delivery round tries it again."""
    db.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
        (error, alert_id),
    )


def outbox_counts(db: sqlite_utils.Database) -> dict[str, int]:
    rows = db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
    counts: dict[str, Any] = {"pending": 0, "sent": 0, "failed": 0}
    counts.update(dict(rows))
    return counts


def alerts_in_last_hour(conn: sqlite3.Connection, rule: str, now: datetime) -> int:
    """Top-level alerts this rule queued in the past hour (held ones included)."""
    row = conn.execute(
        "SELECT count(*) FROM outbox WHERE rule = ? AND parent_id IS NULL AND created_at > ?",
        (rule, to_iso(now - timedelta(hours=1))),
    ).fetchone()
    return int(row[0])


def due_digests(db: sqlite_utils.Database, now: datetime) -> dict[tuple[str, str], list[int]]:
    """Held alerts whose hour is over, by (rule, channel): each group becomes one digest."""
    rows = db.execute(
        """SELECT rule, channel, id FROM outbox WHERE held = 1 AND status = 'pending'
           AND rule IN (SELECT rule FROM outbox WHERE held = 1 AND status = 'pending'
                        GROUP BY rule HAVING min(created_at) <= ?)
           ORDER BY id""",
        (to_iso(now - timedelta(hours=1)),),
    ).fetchall()
    groups: dict[tuple[str, str], list[int]] = {}
    for rule, channel, alert_id in rows:
        groups.setdefault((rule, channel), []).append(alert_id)
    return groups


def digest_items(db: sqlite_utils.Database, ids: list[int]) -> list[tuple[str, str | None]]:
    """(fallback text, article link) of each held alert."""
    marks = ",".join("?" * len(ids))
    items = []
    for text, blocks in db.execute(
        f"SELECT text, blocks FROM outbox WHERE id IN ({marks}) ORDER BY id", ids
    ).fetchall():
        links = [
            e.get("url")
            for b in json.loads(blocks)
            if b.get("type") == "actions"
            for e in b.get("elements", [])
        ]
        items.append((text, links[0] if links else None))
    return items


def mark_digested(db: sqlite_utils.Database, ids: list[int], ts: str | None, now: datetime) -> None:
    """Held alerts went out in a digest; their threads hang off the digest message."""
    marks = ",".join("?" * len(ids))
    db.execute(
        f"UPDATE outbox SET status = 'sent', ts = ?, sent_at = ?, held = 0, "
        f"last_error = NULL WHERE id IN ({marks})",
        (ts, to_iso(now), *ids),
    )
