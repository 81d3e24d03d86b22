"""The alert outbox: rows written with their match, delivered in order, never dropped."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from monitor.clock import from_iso, to_iso
from monitor.records import Delivered, PendingAlert


def pending_alerts(db: sqlite_utils.Database) -> list[PendingAlert]:
    """Pending alerts in the order their entries arrived (feed order, not completion order).

    A thread reply waits until the alert it answers has been sent (it needs its `ts`).
    `retry_at` says when one that failed may be tried again.
    """
    rows = db.execute(
        """SELECT o.id, o.channel, o.text, o.blocks, o.attempts, o.parent_id, p.ts,
                  o.uncertain, coalesce(o.slack_channel, p.slack_channel), o.created_at,
                  o.next_attempt_at
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
            uncertain=bool(r[7]),
            slack_channel=r[8],
            created_at=from_iso(r[9]),
            retry_at=from_iso(r[10]),
        )
        for r in rows
    ]


def mark_sending(db: sqlite_utils.Database, alert_id: int) -> None:
    """Written before the send: if we die before hearing back, the restart looks first."""
    db.execute("UPDATE outbox SET uncertain = 1 WHERE id = ?", (alert_id,))


def mark_sent(
    db: sqlite_utils.Database, alert_id: int, delivered: Delivered, now: datetime
) -> None:
    db.execute(
        "UPDATE outbox SET status = 'sent', ts = ?, slack_channel = ?, sent_at = ?, "
        "attempts = attempts + 1, uncertain = 0, last_error = NULL, next_attempt_at = NULL "
        "WHERE id = ?",
        (delivered.ts, delivered.channel_id, to_iso(now), alert_id),
    )


def record_retry(
    db: sqlite_utils.Database, alert_id: int, error: str, retry_at: datetime, *, uncertain: bool
) -> None:
    """The alert stays pending until `retry_at`; `uncertain` if Slack may have posted it."""
    db.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
        "uncertain = ? WHERE id = ?",
        (error, to_iso(retry_at), int(uncertain), alert_id),
    )


def mark_failed(db: sqlite_utils.Database, alert_id: int, reason: str) -> None:
    """A permanent error: no more retries until `monitor alerts retry`. Its thread replies
    cannot go anywhere either, so they fail with it (and are retried with it)."""
    db.execute(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, "
        "uncertain = 0 WHERE id = ?",
        (reason, alert_id),
    )
    db.execute(
        "UPDATE outbox SET status = 'failed', last_error = ? "
        "WHERE parent_id = ? AND status = 'pending'",
        (f"its alert #{alert_id} failed: {reason}", alert_id),
    )


def requeue(db: sqlite_utils.Database, alert_ids: list[int] | None) -> int:
    """Failed alerts back to pending (all of them, or the given ids); returns how many."""
    where, params = "status = 'failed'", []
    if alert_ids is not None:
        marks = ",".join("?" * len(alert_ids))
        where += f" AND (id IN ({marks}) OR parent_id IN ({marks}))"
        params = [*alert_ids, *alert_ids]
    cur = db.execute(
        f"UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = NULL, "
        f"last_error = NULL WHERE {where}",
        params,
    )
    return int(cur.rowcount)


def channel_id_for(db: sqlite_utils.Database, channel: str) -> str | None:
    """The ID Slack gave for this channel name in an earlier answer, if any."""
    row = db.execute(
        "SELECT slack_channel FROM outbox WHERE channel = ? AND slack_channel IS NOT NULL LIMIT 1",
        (channel,),
    ).fetchone()
    return None if row is None else str(row[0])


def failed_alerts(db: sqlite_utils.Database, limit: int = 20) -> list[tuple[int, str, str]]:
    """(id, channel, reason) of the newest failed alerts, for `monitor status`."""
    rows = db.execute(
        "SELECT id, channel, last_error FROM outbox WHERE status = 'failed' ORDER BY id DESC "
        "LIMIT ?",
        (limit,),
    ).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def parent_for_update(
    db: sqlite_utils.Database, parent_id: int
) -> tuple[str | None, str | None, list[dict[str, Any]], str, int] | None:
    """(channel ID, ts, blocks, text, outlets) of a sent alert, to show its outlet count."""
    row = db.execute(
        """SELECT p.slack_channel, p.ts, p.blocks, p.text,
                  1 + (SELECT count(*) FROM outbox c WHERE c.parent_id = p.id
                       AND c.status = 'sent')
           FROM outbox p WHERE p.id = ? AND p.status = 'sent'""",
        (parent_id,),
    ).fetchone()
    if row is None:
        return None
    return row[0], row[1], json.loads(row[2]), row[3], int(row[4])


def oldest_pending(db: sqlite_utils.Database) -> datetime | None:
    """When the oldest undelivered alert was queued: the backlog's age."""
    row = db.execute("SELECT min(created_at) FROM outbox WHERE status = 'pending'").fetchone()
    return from_iso(row[0]) if row and row[0] else None


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


def mark_digested(
    db: sqlite_utils.Database, ids: list[int], delivered: Delivered, now: datetime
) -> None:
    """Held alerts went out in a digest; their threads hang off the digest message."""
    marks = ",".join("?" * len(ids))
    db.execute(
        f"UPDATE outbox SET status = 'sent', ts = ?, slack_channel = ?, sent_at = ?, held = 0, "
        f"last_error = NULL WHERE id IN ({marks})",
        (delivered.ts, delivered.channel_id, to_iso(now), *ids),
    )
