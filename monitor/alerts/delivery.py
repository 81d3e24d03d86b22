"""Delivery: the outbox worker. Sends pending rows in order per channel, records Slack's `ts`,
and never drops or doubles an alert.

- Before a send the row is marked `uncertain`; if the process dies before Slack answers, the
  restart looks for the alert's id (message metadata) in the channel before resending.
- Rate limits wait for Retry-After; other failures back off exponentially with jitter; a
  failure holds back that channel's later alerts (order per channel) while others flow.
- Permanent errors (channel_not_found, invalid_auth…) mark the alert failed, logged once,
  until `monitor alerts retry`.
- At most one message per `pace` seconds per channel.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlite_utils

from monitor.alerts.render import render_digest
from monitor.alerts.senders import Sender
from monitor.errors import (
    DeliveryError,
    NotDelivered,
    PermanentDeliveryError,
    RateLimited,
)
from monitor.records import Delivered, PendingAlert
from monitor.storage import outbox

log = logging.getLogger(__name__)
_OUTLETS = re.compile(r"reported by \d+ outlets?")


@dataclass(frozen=True)
class DeliveryPolicy:
    pace: float = 1.0  # seconds between two messages to one channel
    backoff_base: float = 5.0  # first retry after about this many seconds, doubling
    backoff_cap: float = 900.0


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int


@dataclass
class _Round:
    held_channels: set[str] = field(default_factory=set)
    last_post: dict[str, float] = field(default_factory=dict)
    sent: int = 0
    failed: int = 0


async def deliver_pending(
    db: sqlite_utils.Database,
    sender: Sender,
    now: Callable[[], datetime],
    policy: DeliveryPolicy | None = None,
    *,
    jitter: Callable[[], float] = random.random,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> DeliveryReport:
    """Send every alert that is due, digests first; repeat while thread replies unblock."""
    worker = _Worker(db, sender, now, policy or DeliveryPolicy(), jitter, sleep)
    return await worker.run()


@dataclass
class _Worker:
    db: sqlite_utils.Database
    sender: Sender
    now: Callable[[], datetime]
    policy: DeliveryPolicy
    jitter: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    state: _Round = field(default_factory=_Round)

    async def run(self) -> DeliveryReport:
        for (rule, channel), ids in outbox.due_digests(self.db, self.now()).items():
            await self._digest(rule, channel, ids)
        while True:
            before = self.state.sent
            for alert in outbox.pending_alerts(self.db):
                if alert.channel in self.state.held_channels:
                    continue
                if alert.retry_at is not None and alert.retry_at > self.now():
                    self.state.held_channels.add(alert.channel)  # later ones wait behind it
                    continue
                await self._one(alert)
            if self.state.sent == before:
                return DeliveryReport(sent=self.state.sent, failed=self.state.failed)

    async def _one(self, alert: PendingAlert) -> None:
        try:
            delivered = await self._already_posted(alert)
            if delivered is None:
                await self._pace(alert.channel)
                outbox.mark_sending(self.db, alert.id)
                delivered = await self.sender.send(alert)
        except DeliveryError as e:
            self._failed(alert, e)
            return
        outbox.mark_sent(self.db, alert.id, delivered, self.now())
        self.state.sent += 1
        if alert.parent_id is not None:
            await self._update_outlet_count(alert.parent_id)

    async def _already_posted(self, alert: PendingAlert) -> Delivered | None:
        """After an ambiguous failure or a crash mid-send: did Slack post it after all?"""
        if not alert.uncertain:
            return None
        channel_id = alert.slack_channel or outbox.channel_id_for(self.db, alert.channel)
        found = await self.sender.find(alert, channel_id)
        if found is not None:
            log.info("alert %d was already posted (found by its id); not resending", alert.id)
        return found

    def _failed(self, alert: PendingAlert, error: DeliveryError) -> None:
        self.state.failed += 1
        self.state.held_channels.add(alert.channel)
        if isinstance(error, PermanentDeliveryError):
            outbox.mark_failed(self.db, alert.id, str(error))
            log.error(
                "alert %d to %s failed for good: %s (fix it, then `monitor alerts retry %d`)",
                alert.id,
                alert.channel,
                error,
                alert.id,
            )
            return
        if isinstance(error, RateLimited):
            delay = error.retry_after
        else:
            delay = min(self.policy.backoff_cap, self.policy.backoff_base * 2**alert.attempts)
            delay *= 0.8 + 0.4 * self.jitter()
        certain = isinstance(error, NotDelivered)
        outbox.record_retry(
            self.db,
            alert.id,
            str(error),
            self.now() + timedelta(seconds=delay),
            uncertain=not certain,
        )
        log.warning(
            "alert %d to %s not delivered (%s); retry in %.0fs",
            alert.id,
            alert.channel,
            error,
            delay,
        )

    async def _pace(self, channel: str) -> None:
        loop = asyncio.get_running_loop()
        last = self.state.last_post.get(channel)
        if last is not None:
            wait = self.policy.pace - (loop.time() - last)
            if wait > 0:
                await self.sleep(wait)
        self.state.last_post[channel] = loop.time()

    async def _update_outlet_count(self, parent_id: int) -> None:
        """The top-level alert shows how many outlets have reported the story so far."""
        parent = outbox.parent_for_update(self.db, parent_id)
        if parent is None:
            return
        channel_id, ts, blocks, text, outlets = parent
        if channel_id is None or ts is None:
            return
        label = f"reported by {outlets} outlets"
        updated = [_relabel(block, label) for block in blocks]
        try:
            await self.sender.update(channel_id, ts, text, updated)
        except DeliveryError as e:
            log.warning("could not update the outlet count of alert %d: %s", parent_id, e)

    async def _digest(self, rule: str, channel: str, ids: list[int]) -> None:
        message = render_digest(rule, channel, outbox.digest_items(self.db, ids))
        digest = PendingAlert(
            id=-ids[0], channel=channel, text=message.text, blocks=message.blocks, attempts=0
        )
        try:
            delivered = await self.sender.send(digest)
        except DeliveryError as e:
            log.warning("digest for rule %s to %s not delivered, will retry: %s", rule, channel, e)
            self.state.failed += 1
            self.state.held_channels.add(channel)
            return
        outbox.mark_digested(self.db, ids, delivered, self.now())
        self.state.sent += 1


def _relabel(block: dict[str, object], label: str) -> dict[str, object]:
    if block.get("type") != "context":
        return block
    elements = block.get("elements")
    if not isinstance(elements, list):
        return block
    return {
        **block,
        "elements": [
            {**e, "text": _OUTLETS.sub(label, str(e.get("text", "")))}
            for e in elements
            if isinstance(e, dict)
        ],
    }
