"""The alert outbox: rows written with their match, delivered in order per channel, never
dropped. A deliverer holds a channel's lease while it sends that channel's rows, so one
process at a time posts to a channel, in order and paced.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.clock import from_iso, to_iso
from monitor.records import (
    AlertFacts,
    Delivered,
    DigestFacts,
    DigestItem,
    OutboxRow,
    SlackMessage,
)
from monitor.storage.codec import dumps, loads
from monitor.storage.sql.dialect import Db, insert

# A row is ready when it is pending, not held for a digest, and its thread parent is sent.
_READY = """o.status = 'pending' AND (o.held = 0 OR o.kind = 'digest')
            AND (o.parent_id IS NULL OR p.status = 'sent')"""
_ROW = """o.id, o.kind, o.channel, o.facts, o.attempts, o.parent_id, p.ts, o.uncertain,
          coalesce(o.slack_channel, p.slack_channel), o.created_at, o.next_attempt_at,
          o.story_id, o.text, o.blocks"""


def _row(r: Any) -> OutboxRow:
    legacy = None
    if r[3] is None and r[13] is not None:
        legacy = SlackMessage(channel=r[2], text=r[12] or "", blocks=json.loads(r[13]))
    return OutboxRow(
        id=r[0],
        kind=r[1],
        channel=r[2],
        facts=loads(r[3]) if r[3] else None,
        attempts=r[4],
        parent_id=r[5],
        thread_ts=r[6],
        uncertain=bool(r[7]),
        slack_channel=r[8],
        created_at=from_iso(r[9]),
        retry_at=from_iso(r[10]),
        story_id=r[11],
        legacy=legacy,
    )


def claim_channels(db: Db, owner: str, now: datetime, lease: timedelta) -> list[str]:
    """Channels whose next row (in delivery order) is due and whose delivery lease is free
    (or ours), now ours. A channel whose next row backs off waits: order is per channel."""
    _settle_orphans(db, now)
    db.execute(
        "INSERT INTO channels (name) "
        "SELECT DISTINCT channel FROM outbox WHERE status = 'pending' ON CONFLICT DO NOTHING"
    )
    rows = db.execute(
        f"""UPDATE channels SET claimed_by = :owner, lease_until = :lease
            WHERE (lease_until IS NULL OR lease_until <= :now OR claimed_by = :owner)
              AND name IN (
                  SELECT channel FROM (
                      SELECT o.channel, o.next_attempt_at, row_number() OVER (
                          PARTITION BY o.channel ORDER BY o.id) AS n
                      FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id WHERE {_READY})
                      AS heads
                  WHERE n = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= :now))
            RETURNING name""",
        {"owner": owner, "now": to_iso(now), "lease": to_iso(now + lease)},
    ).fetchall()
    return sorted(r[0] for r in rows)


def _settle_orphans(db: Db, now: datetime) -> None:
    """A follow-up written after its alert failed (or was set aside) cannot go anywhere
    either: it follows its alert, and is re-queued with it by `monitor alerts retry`."""
    db.execute(
        """UPDATE outbox SET status = 'failed', failed_at = ?,
               last_error = 'its alert #' || parent_id || ' is ' || (
                   SELECT p.status || ': ' || coalesce(p.last_error, '') FROM outbox p
                   WHERE p.id = outbox.parent_id)
           WHERE status = 'pending' AND parent_id IN (
               SELECT id FROM outbox WHERE status IN ('failed', 'unverified', 'quarantined'))""",
        (to_iso(now),),
    )


def renew_channel(db: Db, channel: str, owner: str, now: datetime, lease: timedelta) -> bool:
    """Extend our lease on a channel; False if it is no longer ours (we were too slow)."""
    cur = db.execute(
        "UPDATE channels SET lease_until = ? WHERE name = ? AND claimed_by = ?",
        (to_iso(now + lease), channel, owner),
    )
    return cur.rowcount == 1


def release_channel(db: Db, channel: str, owner: str) -> None:
    db.execute(
        "UPDATE channels SET claimed_by = NULL, lease_until = NULL "
        "WHERE name = ? AND claimed_by = ?",
        (channel, owner),
    )


def release_channels(db: Db, owner: str) -> None:
    db.execute(
        "UPDATE channels SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?",
        (owner,),
    )


def last_post(db: Db, channel: str) -> datetime | None:
    row = db.execute("SELECT last_post_at FROM channels WHERE name = ?", (channel,)).fetchone()
    return from_iso(row[0]) if row else None


def ready_rows(db: Db, channel: str, limit: int) -> list[OutboxRow]:
    """The channel's ready rows in delivery order: the order their entries arrived."""
    rows = db.execute(
        f"""SELECT {_ROW} FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id
            WHERE o.channel = ? AND {_READY}
            ORDER BY o.id LIMIT ?""",
        (channel, limit),
    ).fetchall()
    return [_row(r) for r in rows]


def mark_sending(db: Db, alert_id: int) -> None:
    """Written before the send: if we die before hearing back, the next try looks first."""
    db.execute("UPDATE outbox SET uncertain = 1 WHERE id = ?", (alert_id,))


def mark_sent(
    db: Db, alert_id: int, delivered: Delivered, now: datetime
) -> tuple[str, str, AlertFacts | DigestFacts, int] | None:
    """Sent (a digest also settles the held alerts it carried: their threads hang off it).
    For a follow-up, its parent as `parent_for_update` gives it (to show the new count)."""
    db.execute(
        """UPDATE outbox SET status = 'sent', ts = ?, slack_channel = ?, sent_at = ?,
               attempts = attempts + 1, uncertain = 0, last_error = NULL,
               next_attempt_at = NULL WHERE id = ?""",
        (delivered.ts, delivered.channel_id, to_iso(now), alert_id),
    )
    db.execute(
        """UPDATE outbox SET status = 'sent', ts = ?, slack_channel = ?, sent_at = ?, held = 0,
               last_error = NULL WHERE digest_id = ? AND status = 'pending'""",
        (delivered.ts, delivered.channel_id, to_iso(now), alert_id),
    )
    row = db.execute("SELECT channel, parent_id FROM outbox WHERE id = ?", (alert_id,)).fetchone()
    if row is None:
        return None
    db.execute(
        """UPDATE channels SET last_post_at = ?, slack_id = coalesce(?, slack_id)
           WHERE name = ?""",
        (to_iso(now), delivered.channel_id, row[0]),
    )
    return None if row[1] is None else parent_for_update(db, int(row[1]))


def record_retry(db: Db, alert_id: int, error: str, retry_at: datetime, *, uncertain: bool) -> None:
    """The alert stays pending until `retry_at`; `uncertain` if Slack may have posted it."""
    db.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
        "uncertain = ? WHERE id = ?",
        (error, to_iso(retry_at), int(uncertain), alert_id),
    )


def mark_failed(db: Db, alert_id: int, reason: str, now: datetime) -> None:
    """A permanent error: no more retries until `monitor alerts retry`. Its thread replies
    cannot go anywhere either, so they fail with it (and are retried with it)."""
    _settle(db, alert_id, "failed", reason, now)


def mark_unverified(db: Db, alert_id: int, reason: str, now: datetime) -> None:
    """Slack may have posted it and its history cannot be read to check: it is not resent
    until an operator says so (`monitor alerts retry --force`)."""
    _settle(db, alert_id, "unverified", reason, now)


def quarantine(db: Db, alert_id: int, error: str, now: datetime, max_attempts: int) -> bool:
    """A row that could not even be prepared for sending (a bug): counted, and after
    `max_attempts` set aside; the channel's other rows go on. True when set aside."""
    (attempts,) = db.execute("SELECT attempts FROM outbox WHERE id = ?", (alert_id,)).fetchone()
    if attempts + 1 >= max_attempts:
        _settle(db, alert_id, "quarantined", error, now)
        return True
    db.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
        "WHERE id = ?",
        (error, to_iso(now + timedelta(minutes=1)), alert_id),
    )
    return False


def _settle(db: Db, alert_id: int, status: str, reason: str, now: datetime) -> None:
    db.execute(
        "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, failed_at = ? "
        "WHERE id = ?",
        (status, reason, to_iso(now), alert_id),
    )
    db.execute(
        "UPDATE outbox SET status = 'failed', last_error = ?, failed_at = ? "
        "WHERE (parent_id = ? OR digest_id = ?) AND status = 'pending'",
        (f"its alert #{alert_id} is {status}: {reason}", to_iso(now), alert_id, alert_id),
    )


def requeue(db: Db, alert_ids: Sequence[int] | None, *, force: bool = False) -> int:
    """Failed, unverified or quarantined alerts back to pending (all failed ones, or the
    given ids, with their replies). `force` resends an unverified alert without looking for
    it in Slack first; without it, the check is tried again."""
    if alert_ids is None:
        where, params = "status = 'failed'", []
    else:
        marks = ",".join("?" * len(alert_ids))
        where = (
            f"status IN ('failed', 'unverified', 'quarantined') "
            f"AND (id IN ({marks}) OR parent_id IN ({marks}) OR digest_id IN ({marks}))"
        )
        params = [*alert_ids, *alert_ids, *alert_ids]
    uncertain = "0" if force else "uncertain"
    cur = db.execute(
        f"UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = NULL, "
        f"last_error = NULL, failed_at = NULL, uncertain = {uncertain} WHERE {where}",
        params,
    )
    return int(cur.rowcount)


def channel_id_for(db: Db, channel: str) -> str | None:
    """The ID Slack gave for this channel name in an earlier answer, if any."""
    row = db.execute(
        "SELECT slack_id FROM channels WHERE name = ? AND slack_id IS NOT NULL", (channel,)
    ).fetchone()
    if row is None:
        row = db.execute(
            "SELECT slack_channel FROM outbox WHERE channel = ? AND slack_channel IS NOT NULL "
            "LIMIT 1",
            (channel,),
        ).fetchone()
    return None if row is None else str(row[0])


def parent_for_update(
    db: Db, parent_id: int
) -> tuple[str, str, AlertFacts | DigestFacts, int] | None:
    """(channel ID, ts, facts, outlets) of a sent top-level alert, to show its outlet count."""
    row = db.execute(
        """SELECT p.slack_channel, p.ts, p.facts,
                  1 + (SELECT count(*) FROM outbox c WHERE c.parent_id = p.id
                       AND c.status = 'sent')
           FROM outbox p WHERE p.id = ? AND p.status = 'sent' AND p.facts IS NOT NULL""",
        (parent_id,),
    ).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    return str(row[0]), str(row[1]), loads(row[2]), int(row[3])


def create_due_digests(db: Db, now: datetime) -> int:
    """Held alerts whose hour is over become one digest row per (rule, channel)."""
    rows = db.execute(
        """SELECT id, rule, channel, facts FROM outbox
           WHERE held = 1 AND status = 'pending' AND digest_id IS NULL
             AND rule IN (SELECT rule FROM outbox WHERE held = 1 AND status = 'pending'
                          AND digest_id IS NULL GROUP BY rule HAVING min(created_at) <= ?)
           ORDER BY id""",
        (to_iso(now - timedelta(hours=1)),),
    ).fetchall()
    groups: dict[tuple[str, str], list[tuple[int, AlertFacts]]] = {}
    for alert_id, rule, channel, facts in rows:
        parsed = loads(facts) if facts else None
        if isinstance(parsed, AlertFacts):
            groups.setdefault((rule, channel), []).append((alert_id, parsed))
    for (rule, channel), members in groups.items():
        digest = DigestFacts(rule=rule, items=tuple(_digest_item(f) for _, f in members))
        digest_id = insert(
            db,
            "outbox",
            {
                "kind": "digest",
                "rule": rule,
                "channel": channel,
                "facts": dumps(digest),
                "status": "pending",
                "held": 0,
                "attempts": 0,
                "uncertain": 0,
                "created_at": to_iso(now),
            },
        )
        ids = [alert_id for alert_id, _ in members]
        db.execute(
            f"UPDATE outbox SET digest_id = ? WHERE id IN ({','.join('?' * len(ids))})",
            (digest_id, *ids),
        )
    return len(groups)


def _digest_item(facts: AlertFacts) -> DigestItem:
    headline = f"{facts.speaker}: “{facts.quote}”" if facts.speaker and facts.quote else facts.title
    return DigestItem(headline=headline, outlet=facts.outlet, url=facts.url)


def next_due(db: Db) -> datetime | None:
    """When the earliest pending row backing off may be tried again."""
    (when,) = db.execute(
        "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'"
    ).fetchone()
    return from_iso(when)


def problem_alerts(db: Db, limit: int = 20) -> list[tuple[int, str, str, str]]:
    """(id, status, channel, reason) of the newest failed, unverified or quarantined alerts."""
    rows = db.execute(
        """SELECT id, status, channel, coalesce(last_error, '') FROM outbox
           WHERE status IN ('failed', 'unverified', 'quarantined') ORDER BY id DESC LIMIT ?""",
        (limit,),
    ).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def failed_since(db: Db, since: datetime) -> int:
    """Alerts that failed for good (or could not be verified) at or after `since`."""
    (count,) = db.execute(
        "SELECT count(*) FROM outbox WHERE status IN ('failed', 'unverified', 'quarantined') "
        "AND failed_at >= ?",
        (to_iso(since),),
    ).fetchone()
    return int(count)


def oldest_pending(db: Db) -> datetime | None:
    """When the oldest undelivered alert was queued: the backlog's age."""
    row = db.execute("SELECT min(created_at) FROM outbox WHERE status = 'pending'").fetchone()
    return from_iso(row[0]) if row and row[0] else None


def outbox_counts(db: Db) -> dict[str, int]:
    counts = {"pending": 0, "sent": 0, "failed": 0, "unverified": 0, "quarantined": 0}
    counts.update(dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status")))
    return counts
