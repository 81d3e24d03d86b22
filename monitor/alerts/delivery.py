"""Delivery: send one channel's ready outbox rows, in order and paced, never dropping or
doubling an alert. The caller holds the channel's delivery lease (runtime/deliverer.py).

- Rows are rendered here, from their stored facts, just before they are sent.
- Before a send the row is marked `uncertain`; if the process dies before Slack answers, or
  the answer is ambiguous (timeout, 5xx), the next attempt looks for the alert's id in the
  channel first. If the channel's history cannot be read, the alert is never resent
  blindly: it waits and is reported, and after a few tries (or at once, when only an
  operator can fix it) it is set aside as `unverified` until `monitor alerts retry --force`.
- Rate limits wait for Retry-After; other failures back off exponentially with jitter; a
  row waiting holds back its channel's later rows (order per channel), other channels flow.
- Permanent errors (channel_not_found, invalid_auth…) mark the row failed, logged once.
- A row that cannot be rendered (a bug) is quarantined after a few tries; the rest go on.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.alerts.render import render_alert, render_digest, render_followup
from monitor.alerts.senders import Sender
from monitor.errors import (
    CannotVerify,
    DeliveryError,
    NotDelivered,
    PermanentDeliveryError,
    RateLimited,
)
from monitor.records import (
    AlertFacts,
    Delivered,
    DigestFacts,
    OutboxRow,
    PendingAlert,
    SlackMessage,
)
from monitor.storage import Store

log = logging.getLogger(__name__)
BATCH = 50


@dataclass(frozen=True)
class DeliveryPolicy:
    pace: float = 1.0  # seconds between two messages to one channel
    backoff_base: float = 5.0  # first retry after about this many seconds, doubling
    backoff_cap: float = 900.0
    verify_attempts: int = 5  # history lookups that may fail before a row is set aside
    max_attempts: int = 5  # renders that may fail (a bug) before a row is quarantined
    lease: timedelta = timedelta(minutes=5)


@dataclass
class ChannelReport:
    sent: int = 0
    failed: int = 0
    send_lag: list[float] = field(default_factory=list)  # queued -> posted, seconds
    published_lag: list[float] = field(default_factory=list)  # published -> posted, seconds
    rules: list[str] = field(default_factory=list)  # the rule of each alert posted


def render(row: OutboxRow, outlets: int = 1) -> SlackMessage:
    """The row's message as Slack will show it now."""
    if isinstance(row.facts, DigestFacts):
        return render_digest(row.facts, channel=row.channel)
    if isinstance(row.facts, AlertFacts):
        if row.kind == "followup":
            return render_followup(row.facts, channel=row.channel)
        return render_alert(row.facts, channel=row.channel, outlets=outlets)
    if row.legacy is not None:
        return row.legacy
    raise ValueError(f"outbox row {row.id} has neither facts nor a rendered message")


@dataclass
class ChannelDelivery:
    """Sends one channel's ready rows until none is ready, one is waiting, or the lease is
    lost. Ops problems go to `tell`."""

    store: Store
    sender: Sender
    channel: str
    owner: str
    now: Callable[[], datetime]
    policy: DeliveryPolicy
    tell: Callable[[str, str], None] = lambda key, text: None
    jitter: Callable[[], float] = random.random
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    report: ChannelReport = field(default_factory=ChannelReport)
    _last_post: float | None = None

    async def run(self) -> ChannelReport:
        last = await self.store.last_post(self.channel)
        if last is not None and self.policy.pace:
            ago = (self.now() - last).total_seconds()
            self._last_post = asyncio.get_running_loop().time() - max(0.0, ago)
        while True:
            rows = await self.store.ready_rows(self.channel, BATCH)
            if not rows:
                return self.report
            if not await self.store.renew_channel(
                self.channel, self.owner, self.now(), self.policy.lease
            ):
                log.warning("lost the delivery lease of %s; another process took it", self.channel)
                return self.report
            for row in rows:
                if row.retry_at is not None and row.retry_at > self.now():
                    return self.report  # later rows wait behind it
                if not await self._one(row):
                    return self.report

    async def _one(self, row: OutboxRow) -> bool:
        """Deliver one row; False when the channel must wait (a failure, a pending check)."""
        try:
            message = render(row)
        except Exception as e:
            log.exception("alert %d could not be rendered (a bug, please report it)", row.id)
            await self.store.quarantine_alert(
                row.id,
                f"could not be rendered: {type(e).__name__}: {e}",
                self.now(),
                self.policy.max_attempts,
            )
            return True
        alert = _pending(row, message)
        try:
            delivered = await self._already_posted(alert)
            if delivered is None:
                await self._pace()
                await self.store.mark_sending(row.id)
                delivered = await self.sender.send(alert)
                self._last_post = asyncio.get_running_loop().time()
        except CannotVerify as e:
            await self._unverifiable(row, e)
            return False
        except DeliveryError as e:
            await self._failed(row, e)
            return False
        parent = await self.store.mark_sent(row.id, delivered, self.now())
        self.report.sent += 1
        if row.created_at is not None:
            self.report.send_lag.append((self.now() - row.created_at).total_seconds())
        if isinstance(row.facts, AlertFacts) and row.kind == "alert":
            self.report.rules.append(row.facts.rule)
            if row.facts.published is not None:
                published = (self.now() - row.facts.published).total_seconds()
                self.report.published_lag.append(published)
        if parent is not None:
            await self._update_outlet_count(row.parent_id, parent)
        return True

    async def _already_posted(self, alert: PendingAlert) -> Delivered | None:
        """After an ambiguous failure or a crash mid-send: did Slack post it after all?"""
        if not alert.uncertain:
            return None
        channel_id = alert.slack_channel or await self.store.channel_id_for(alert.channel)
        found = await self.sender.find(alert, channel_id)
        if found is not None:
            log.info("alert %d was already posted (found by its id); not resending", alert.id)
        return found

    async def _unverifiable(self, row: OutboxRow, error: CannotVerify) -> None:
        """Slack may have posted it and we cannot look: never resend blindly."""
        now = self.now()
        if error.permanent or row.attempts + 1 >= self.policy.verify_attempts:
            reason = (
                f"{error}; it may already be in the channel, so it is not resent "
                f"(`monitor alerts retry --force {row.id}` resends it)"
            )
            await self.store.mark_unverified(row.id, reason, now)
            self.report.failed += 1
            log.error("alert %d to %s: %s", row.id, row.channel, reason)
            self.tell(f"unverified:{row.channel}", f"Alert #{row.id} to {row.channel}: {reason}")
            return
        delay = error.retry_after or self._backoff(row.attempts)
        await self.store.record_retry(
            row.id, str(error), now + timedelta(seconds=delay), uncertain=True
        )
        log.warning(
            "alert %d to %s: cannot check whether it was posted (%s); looking again in %.0fs",
            row.id,
            row.channel,
            error,
            delay,
        )

    async def _failed(self, row: OutboxRow, error: DeliveryError) -> None:
        now = self.now()
        if isinstance(error, PermanentDeliveryError):
            self.report.failed += 1
            await self.store.mark_failed(row.id, str(error), now)
            log.error(
                "alert %d to %s failed for good: %s (fix it, then `monitor alerts retry %d`)",
                row.id,
                row.channel,
                error,
                row.id,
            )
            self.tell(f"failed:{row.channel}:{error}", f"Alerts to {row.channel} fail: {error}")
            return
        delay = (
            float(error.retry_after)
            if isinstance(error, RateLimited)
            else self._backoff(row.attempts)
        )
        certain = isinstance(error, NotDelivered)
        await self.store.record_retry(
            row.id, str(error), now + timedelta(seconds=delay), uncertain=not certain
        )
        log.warning(
            "alert %d to %s not delivered (%s); retry in %.0fs", row.id, row.channel, error, delay
        )

    def _backoff(self, attempts: int) -> float:
        delay = min(
            self.policy.backoff_cap, self.policy.backoff_base * float(2 ** min(attempts, 20))
        )
        return delay * (0.8 + 0.4 * self.jitter())

    async def _pace(self) -> None:
        if not self.policy.pace or self._last_post is None:
            return
        wait = self.policy.pace - (asyncio.get_running_loop().time() - self._last_post)
        if wait > 0:
            await self.sleep(wait)

    async def _update_outlet_count(
        self, parent_id: int | None, parent: tuple[str, str, object, int]
    ) -> None:
        """The top-level alert shows how many outlets have reported the story so far."""
        channel_id, ts, facts, outlets = parent
        if not isinstance(facts, AlertFacts):
            return
        message = render_alert(facts, channel=channel_id, outlets=outlets)
        try:
            await self.sender.update(channel_id, ts, message.text, message.blocks)
        except DeliveryError as e:
            log.warning("could not update the outlet count of alert %s: %s", parent_id, e)


def _pending(row: OutboxRow, message: SlackMessage) -> PendingAlert:
    return PendingAlert(
        id=row.id,
        channel=row.channel,
        text=message.text,
        blocks=message.blocks,
        attempts=row.attempts,
        parent_id=row.parent_id,
        thread_ts=row.thread_ts,
        uncertain=row.uncertain,
        slack_channel=row.slack_channel,
        created_at=row.created_at,
        retry_at=row.retry_at,
    )
