"""Delivery: send pending outbox rows to Slack (or the console), record `ts`, never drop one.

A failed send leaves the row pending with its error; the next round retries it. A failure
on one channel holds back that channel's later alerts (order per channel is kept) while the
other channels keep flowing.
"""

from __future__ import annotations

import html
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TextIO

import aiohttp
import sqlite_utils
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from monitor.alerts.render import render_digest
from monitor.errors import DeliveryError
from monitor.records import PendingAlert
from monitor.storage import outbox

log = logging.getLogger(__name__)
_BOLD = re.compile(r"\*([^*\n]+)\*")


class Sender(Protocol):
    async def send(self, alert: PendingAlert) -> str | None:
        """Deliver one alert; return Slack's message `ts` (None for the console)."""


class SlackSender:
    """chat.postMessage through slack-sdk's AsyncWebClient.

    The client's own retry handlers are switched off on purpose: its connection-error handler
    re-sends requests Slack may already have received (a duplicate post). The outbox retries.
    """

    def __init__(self, token: str, base_url: str, timeout: float = 30) -> None:
        if not base_url.endswith("/"):
            base_url += "/"
        self._client = AsyncWebClient(
            token=token, base_url=base_url, timeout=int(timeout), retry_handlers=[]
        )

    async def send(self, alert: PendingAlert) -> str | None:
        try:
            response = await self._client.chat_postMessage(
                channel=alert.channel,
                text=alert.text,
                blocks=alert.blocks,
                thread_ts=alert.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as e:
            raise DeliveryError(f"Slack refused the message: {e.response.get('error')}") from e
        except (aiohttp.ClientError, TimeoutError) as e:
            raise DeliveryError(f"cannot reach Slack: {type(e).__name__}: {e}") from e
        ts: str | None = response.get("ts")
        return ts


class ConsoleSender:
    """The embedded default without a Slack token: alerts are printed, readable as text."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, alert: PendingAlert) -> str | None:
        stream = self._stream or sys.stdout
        stream.write(console_text(alert) + "\n")
        stream.flush()
        return None


def console_text(alert: PendingAlert) -> str:
    """A plain-text rendering of a Slack message's blocks for the terminal."""
    if alert.parent_id is not None:
        lines = [f"  ↳ in the thread of alert #{alert.parent_id}"]
        lines += [f"  {line}" for block in alert.blocks for line in _block_lines(block)]
    else:
        lines = [f"━━━ ALERT #{alert.id} → {alert.channel} " + "━" * 40]
        lines += [line for block in alert.blocks for line in _block_lines(block)]
    return "\n".join(html.unescape(_BOLD.sub(r"\1", line)) for line in lines) + "\n"


def _block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [block["text"]["text"].upper()]
    if kind == "section":
        return [_plain_dates(block["text"]["text"])]
    if kind == "context":
        return [_plain_dates(e.get("text", "")) for e in block["elements"]]
    if kind == "actions":
        return [f"{e['text']['text']}: {e['url']}" for e in block["elements"] if "url" in e]
    return []


def _plain_dates(text: str) -> str:
    """`<!date^…|fallback>` -> fallback (what Slack shows where it cannot format)."""
    while "<!date^" in text:
        start = text.index("<!date^")
        end = text.index(">", start)
        fallback = text[start:end].split("|", 1)[-1]
        text = text[:start] + fallback + text[end + 1 :]
    return text


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int


async def deliver_pending(
    db: sqlite_utils.Database, sender: Sender, now: Callable[[], datetime]
) -> DeliveryReport:
    """Send every pending alert in order; a failure leaves it pending for the next round.

    Thread replies become sendable once their alert is sent, so rounds repeat while they
    make progress.
    """
    sent = failed = 0
    held_channels: set[str] = set()
    for (rule, channel), ids in outbox.due_digests(db, now()).items():
        if await _send_digest(db, sender, now, rule, channel, ids):
            sent += 1
        else:
            failed += 1
            held_channels.add(channel)
    while True:
        round_sent, round_failed = await _deliver_round(db, sender, now, held_channels)
        sent, failed = sent + round_sent, failed + round_failed
        if round_sent == 0:
            return DeliveryReport(sent=sent, failed=failed)


async def _send_digest(
    db: sqlite_utils.Database,
    sender: Sender,
    now: Callable[[], datetime],
    rule: str,
    channel: str,
    ids: list[int],
) -> bool:
    """Post one digest for a throttled rule's held alerts; on failure they stay held."""
    message = render_digest(rule, channel, outbox.digest_items(db, ids))
    digest = PendingAlert(
        id=ids[0], channel=channel, text=message.text, blocks=message.blocks, attempts=0
    )
    try:
        ts = await sender.send(digest)
    except DeliveryError as e:
        log.warning("digest for rule %s to %s not delivered, will retry: %s", rule, channel, e)
        return False
    outbox.mark_digested(db, ids, ts, now())
    return True


async def _deliver_round(
    db: sqlite_utils.Database,
    sender: Sender,
    now: Callable[[], datetime],
    held_channels: set[str],
) -> tuple[int, int]:
    sent = failed = 0
    for alert in outbox.pending_alerts(db):
        if alert.channel in held_channels:
            continue
        try:
            ts = await sender.send(alert)
        except DeliveryError as e:
            outbox.record_attempt_failure(db, alert.id, str(e))
            log.warning("alert %d to %s not delivered, will retry: %s", alert.id, alert.channel, e)
            held_channels.add(alert.channel)
            failed += 1
            continue
        outbox.mark_sent(db, alert.id, ts, now())
        sent += 1
    return sent, failed
