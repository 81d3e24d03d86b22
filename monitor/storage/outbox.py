"""The alert outbox: rows written with their match, delivered in order, never dropped."""

from __future__ import annotations

import json
from datetime import datetime
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
           WHERE o.status = 'pending' AND (o.parent_id IS NULL OR p.status = 'sent')
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
