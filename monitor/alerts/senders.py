"""Senders: where alerts go. Slack through slack-sdk's AsyncWebClient, or the console.

Every failure is classified for the outbox: certainly not posted (resend), maybe posted
(look in the channel before resending), rate limited (wait as told), or permanent (stop
until an operator acts).
"""

from __future__ import annotations

import html
import re
import sys
from typing import Any, Protocol, TextIO

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from monitor.errors import (
    DeliveryError,
    MaybeDelivered,
    NotDelivered,
    PermanentDeliveryError,
    RateLimited,
)
from monitor.records import Delivered, PendingAlert

METADATA_EVENT = "monitor_alert"
PERMANENT_ERRORS = frozenset(
    "channel_not_found not_in_channel is_archived channel_is_archived invalid_auth not_authed "
    "account_inactive token_revoked token_expired missing_scope msg_too_long no_text "
    "invalid_blocks invalid_blocks_format invalid_metadata_format restricted_action "
    "team_access_not_granted ekm_access_denied invalid_arguments".split()
)
_BOLD = re.compile(r"\*([^*\n]+)\*")
HISTORY_LOOKBACK_SECONDS = 300


class Sender(Protocol):
    paced: bool  # Slack allows about one message a second per channel; the console has no limit

    async def send(self, alert: PendingAlert) -> Delivered:
        """Post one alert, or raise a DeliveryError subclass saying what to do next."""

    async def find(self, alert: PendingAlert, channel_id: str | None) -> Delivered | None:
        """The alert's message if an earlier, ambiguous send did post it."""

    async def update(
        self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        """Edit a posted message (the outlet count of a story)."""


class SlackSender:
    """chat.postMessage, with the alert id as message metadata.

    The client's own retry handlers are off on purpose: its connection-error handler resends
    requests Slack may already have received (a duplicate), it retries 429 only with an extra
    handler, and its timeout raises a plain TimeoutError. The outbox owns retries instead.
    """

    paced = True

    def __init__(self, token: str, base_url: str, timeout: float = 30) -> None:
        if not base_url.endswith("/"):
            base_url += "/"
        self._client = AsyncWebClient(
            token=token, base_url=base_url, timeout=int(timeout), retry_handlers=[]
        )
        self._ids: dict[str, str] = {}  # channel name -> ID

    async def send(self, alert: PendingAlert) -> Delivered:
        try:
            response = await self._client.chat_postMessage(
                channel=alert.channel,
                text=alert.text,
                blocks=alert.blocks,
                thread_ts=alert.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"alert_id": alert.id}},
            )
        except Exception as e:
            raise classify(e) from e
        return Delivered(ts=response.get("ts"), channel_id=response.get("channel"))

    async def find(self, alert: PendingAlert, channel_id: str | None) -> Delivered | None:
        try:
            channel_id = channel_id or await self._channel_id(alert.channel)
            if channel_id is None:
                return None  # no such channel visible to the bot: nothing can be there
            if alert.thread_ts:
                response = await self._client.conversations_replies(
                    channel=channel_id, ts=alert.thread_ts, include_all_metadata=True, limit=200
                )
            else:
                oldest = (
                    alert.created_at.timestamp() - HISTORY_LOOKBACK_SECONDS
                    if alert.created_at
                    else 0
                )
                response = await self._client.conversations_history(
                    channel=channel_id, oldest=str(oldest), include_all_metadata=True, limit=200
                )
        except Exception as e:
            raise classify(e) from e
        messages: list[dict[str, Any]] = response.get("messages", [])
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("alert_id") == alert.id:
                return Delivered(ts=message.get("ts"), channel_id=channel_id)
        return None

    async def _channel_id(self, channel: str) -> str | None:
        """`#news-alerts` -> its ID (history needs the ID), via conversations.list."""
        name = channel.lstrip("#")
        if name in self._ids:
            return self._ids[name]
        cursor = None
        while True:
            page = await self._client.conversations_list(
                types="public_channel,private_channel",
                limit=1000,
                cursor=cursor,
                exclude_archived=True,
            )
            channels: list[dict[str, Any]] = page.get("channels", [])
            for found in channels:
                self._ids[found["name"]] = found["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if name in self._ids or not cursor:
                return self._ids.get(name, channel if channel[:1] in "CG" else None)

    async def update(
        self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        try:
            await self._client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)
        except Exception as e:
            raise classify(e) from e


def classify(error: Exception) -> DeliveryError:
    """What a failed Slack call means for the outbox (never echoes the token)."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        data = getattr(error.response, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        if status == 429 or code == "ratelimited":
            retry_after = float(error.response.headers.get("Retry-After", 1) or 1)
            return RateLimited(f"Slack rate limit: retry after {retry_after:g}s", retry_after)
        if code in PERMANENT_ERRORS:
            return PermanentDeliveryError(f"Slack refused the message: {code}")
        if status >= 500:
            return MaybeDelivered(f"Slack answered HTTP {status}")
        return NotDelivered(f"Slack refused the message: {code}")
    if isinstance(error, aiohttp.ClientConnectorError):
        return NotDelivered(f"cannot connect to Slack: {error.os_error}")
    if isinstance(error, TimeoutError | aiohttp.ClientError | SlackClientError):
        return MaybeDelivered(f"no answer from Slack: {type(error).__name__}: {error}")
    if isinstance(error, DeliveryError):
        return error
    raise error


WEBHOOK_PERMANENT = frozenset(
    "invalid_payload channel_not_found channel_is_archived no_service no_team "
    "team_disabled invalid_token action_prohibited posting_to_general_channel_denied".split()
)


class WebhookSender:
    """Incoming-webhook delivery, for teams without a bot token (SLACK_WEBHOOK_URL).

    A webhook posts to its own channel, has no threads and no history: thread replies are
    sent as compact messages of their own (`followups: separate`) or skipped, and an
    ambiguous failure cannot be checked, so it is resent. slack-sdk's AsyncWebhookClient does
    not raise on 4xx/5xx: the status and body are checked here.
    """

    paced = True

    def __init__(self, url: str, followups: str = "separate", timeout: float = 30) -> None:
        self._client = AsyncWebhookClient(url=url, timeout=int(timeout))
        self._followups = followups

    async def send(self, alert: PendingAlert) -> Delivered:
        if alert.parent_id is not None and self._followups == "skip":
            return Delivered(ts=None)
        try:
            response = await self._client.send(
                text=alert.text, blocks=alert.blocks, unfurl_links=False, unfurl_media=False
            )
        except Exception as e:
            raise classify(e) from e
        body = (response.body or "").strip()
        if response.status_code == 200 and body in ("ok", ""):
            return Delivered(ts=None)
        if response.status_code == 429:
            retry_after = float(response.headers.get("Retry-After", 1) or 1)
            raise RateLimited(f"Slack rate limit: retry after {retry_after:g}s", retry_after)
        if body in WEBHOOK_PERMANENT or response.status_code in (403, 404, 410):
            raise PermanentDeliveryError(
                f"Slack refused the webhook post: {body or response.status_code}"
            )
        if response.status_code >= 500:
            raise MaybeDelivered(f"Slack answered HTTP {response.status_code}")
        raise NotDelivered(f"Slack refused the webhook post: {body or response.status_code}")

    async def find(self, alert: PendingAlert, channel_id: str | None) -> Delivered | None:
        return None  # a webhook cannot read the channel back

    async def update(
        self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        return None


class ConsoleSender:
    """The embedded default without a Slack token: alerts are printed, readable as text."""

    paced = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, alert: PendingAlert) -> Delivered:
        stream = self._stream or sys.stdout
        stream.write(console_text(alert) + "\n")
        stream.flush()
        return Delivered(ts=None)

    async def find(self, alert: PendingAlert, channel_id: str | None) -> Delivered | None:
        return None

    async def update(
        self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
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
