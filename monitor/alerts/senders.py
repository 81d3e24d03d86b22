"""Senders: where alerts go. Slack through slack-sdk's AsyncWebClient, or the console.

Every failure is classified for the outbox: certainly not posted (resend), maybe posted
(look in the channel before resending), rate limited (wait as told), or permanent (stop
until an operator acts). Looking in the channel can fail too: that is `CannotVerify`, never
"not posted".
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from monitor.alerts.access import AccessReport, access_report, parse_scopes, unreachable
from monitor.clock import utcnow
from monitor.durations import retry_after_seconds
from monitor.errors import (
    CannotVerify,
    DeliveryError,
    MaybeDelivered,
    NotDelivered,
    PermanentDeliveryError,
    RateLimited,
    SlackAuthError,
)
from monitor.records import Delivered, PendingAlert

METADATA_EVENT = "monitor_alert"
PERMANENT_ERRORS = frozenset(
    "channel_not_found not_in_channel is_archived channel_is_archived invalid_auth not_authed "
    "account_inactive token_revoked token_expired missing_scope msg_too_long no_text "
    "invalid_blocks invalid_blocks_format invalid_metadata_format restricted_action "
    "team_access_not_granted ekm_access_denied invalid_arguments".split()
)
# Slack rejects the token itself: one actionable line each (never the token).
AUTH_ERRORS = {
    "invalid_auth": "Slack rejects the bot token (invalid_auth): check that SLACK_BOT_TOKEN "
    "or slack.token_file holds the app's Bot User OAuth Token (xoxb-…)",
    "not_authed": "Slack received no bot token (not_authed): set SLACK_BOT_TOKEN or "
    "slack.token_file",
    "token_revoked": "the Slack bot token was revoked (token_revoked): reinstall the app and "
    "put its new token in SLACK_BOT_TOKEN or slack.token_file",
    "token_expired": "the Slack bot token has expired (token_expired): put a current token "
    "in SLACK_BOT_TOKEN or slack.token_file (monitor does not refresh rotating tokens)",
    "account_inactive": "the Slack app or its user is deactivated (account_inactive): "
    "reinstall the app and put its new token in SLACK_BOT_TOKEN or slack.token_file",
}
# Reading the history fails this way until an operator acts (a scope, an invitation, a token).
VERIFY_PERMANENT = frozenset(AUTH_ERRORS) | frozenset(
    "missing_scope not_in_channel channel_not_found no_permission access_denied "
    "team_access_not_granted ekm_access_denied".split()
)
HISTORY_LOOKBACK_SECONDS = 300
HISTORY_PAGE = 200
HISTORY_MAX_PAGES = 50
RETRY_AFTER_DEFAULT = 30.0  # a 429 whose Retry-After is missing or unreadable
RETRY_AFTER_MAX = 3600.0  # a proxy's absurd Retry-After must not hold a channel for days
_LIST_TYPES = {"public_channel": "channels:read", "private_channel": "groups:read"}
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
_NETWORK_ERRORS = (aiohttp.ClientError, SlackClientError, TimeoutError, OSError)


class Sender(Protocol):
    paced: bool  # Slack allows about one message a second per channel; the console has no limit

    async def check_access(self) -> AccessReport:
        """At start: what the sender may do, with a warning for each thing it may not."""

    async def close(self) -> None:
        """Release connections (at the end of a run)."""

    async def send(self, alert: PendingAlert) -> Delivered:
        """Post one alert, or raise a DeliveryError subclass saying what to do next."""

    async def find(self, alert: PendingAlert, channel_id: str | None) -> Delivered | None:
        """The alert's message if an earlier, ambiguous send did post it; None only when it
        surely did not. Raises CannotVerify when that cannot be known."""

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

    def __init__(
        self,
        token: str,
        base_url: str,
        timeout: float = 30,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        if not base_url.endswith("/"):
            base_url += "/"
        self._web = AsyncWebClient(
            token=token, base_url=base_url, timeout=int(timeout), retry_handlers=[]
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._now = now  # for Retry-After dates
        self._ids: dict[str, str] = {}  # channel name -> ID
        self._scopes: frozenset[str] | None = None  # once check_access has seen them

    def _client(self) -> AsyncWebClient:
        """The client, with one HTTP session (kept-alive connections) per event loop: without
        it slack-sdk opens a new session, and a new connection, for every call."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._web.session is None or self._web.session.closed:
            self._web.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._web.timeout)
            )
            self._loop = loop
        return self._web

    async def close(self) -> None:
        session = self._web.session
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()
        self._web.session = None

    async def check_access(self) -> AccessReport:
        """Who the token is (auth.test) and which scopes it has (`x-oauth-scopes`), with a
        warning for each scope monitor needs and lacks.

        Raises SlackAuthError when Slack rejects the token. When Slack cannot be reached or
        answers an error, the report says so and nothing is raised: alerts wait in the outbox.
        """
        try:
            response = await self._client().auth_test()
        except SlackApiError as e:
            status, code, _ = _answer(e)
            if code in AUTH_ERRORS:
                raise SlackAuthError(AUTH_ERRORS[code]) from e
            return unreachable(f"Slack answered {code or f'HTTP {status}'}")
        except _NETWORK_ERRORS as e:
            return unreachable(f"no answer from Slack: {type(e).__name__}")
        self._scopes = parse_scopes(_header(response.headers, "x-oauth-scopes"))
        return access_report(self._scopes, team=response.get("team"), user=response.get("user"))

    async def send(self, alert: PendingAlert) -> Delivered:
        try:
            response = await self._client().chat_postMessage(
                channel=alert.channel,
                text=alert.text,
                blocks=alert.blocks,
                thread_ts=alert.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"alert_id": alert.id}},
            )
        except Exception as e:
            raise classify(e, self._now()) from e
        return Delivered(ts=response.get("ts"), channel_id=response.get("channel"))

    async def find(self, alert: PendingAlert, channel_id: str | None) -> Delivered | None:
        """Did an earlier, ambiguous send post this alert? Looks for its id (message metadata)
        in the channel's history since the alert was queued, or in its thread.

        Returns the message when found, and None only when the whole history (or thread) was
        read and the alert is not in it: then it is safe to send. Raises CannotVerify when the
        history cannot be read, for any reason (a missing scope, the bot not in the channel, a
        4xx or 5xx answer, a timeout, no connection): the caller must not resend then.
        `permanent` says whether only an operator can fix it."""
        try:
            channel_id = channel_id or await self._channel_id(alert)
            cursor = None
            for _ in range(HISTORY_MAX_PAGES):
                page = await self._history_page(alert, channel_id, cursor)
                messages: list[dict[str, Any]] = page.get("messages", [])
                for message in messages:
                    payload = (message.get("metadata") or {}).get("event_payload") or {}
                    if payload.get("alert_id") == alert.id:
                        return Delivered(ts=message.get("ts"), channel_id=channel_id)
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
        except (SlackApiError, *_NETWORK_ERRORS) as e:
            raise cannot_verify(e, alert, channel_id, self._now()) from e
        raise CannotVerify(
            f"{_unchecked(alert, channel_id)}: more than {HISTORY_PAGE * HISTORY_MAX_PAGES} "
            "messages to search",
            permanent=True,
        )

    async def _history_page(
        self, alert: PendingAlert, channel_id: str, cursor: str | None
    ) -> AsyncSlackResponse:
        if alert.thread_ts:
            return await self._client().conversations_replies(
                channel=channel_id,
                ts=alert.thread_ts,
                include_all_metadata=True,
                limit=HISTORY_PAGE,
                cursor=cursor,
            )
        oldest = alert.created_at.timestamp() - HISTORY_LOOKBACK_SECONDS if alert.created_at else 0
        return await self._client().conversations_history(
            channel=channel_id,
            oldest=str(oldest),
            include_all_metadata=True,
            limit=HISTORY_PAGE,
            cursor=cursor,
        )

    async def _channel_id(self, alert: PendingAlert) -> str:
        """`#news-alerts` -> its ID (history needs the ID), via conversations.list."""
        if _CHANNEL_ID.fullmatch(alert.channel):
            return alert.channel
        name = alert.channel.lstrip("#")
        scopes = self._scopes
        lacking = [s for s in _LIST_TYPES.values() if scopes is not None and s not in scopes]
        types = [t for t, scope in _LIST_TYPES.items() if scope not in lacking]
        cursor = None
        while name not in self._ids and types:
            page = await self._client().conversations_list(
                types=",".join(types), limit=1000, cursor=cursor, exclude_archived=True
            )
            channels: list[dict[str, Any]] = page.get("channels", [])
            self._ids.update({found["name"]: found["id"] for found in channels})
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        if name in self._ids:
            return self._ids[name]
        reason = "no channel of that name that the bot can see"
        if lacking:
            reason = f"the token needs the {' and '.join(lacking)} scope, or {reason}"
        raise CannotVerify(
            f"{_unchecked(alert, None)}: cannot find the channel's ID ({reason})", permanent=True
        )

    async def update(
        self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        try:
            await self._client().chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)
        except Exception as e:
            raise classify(e, self._now()) from e


def _answer(error: SlackApiError) -> tuple[int, str | None, Mapping[str, Any]]:
    """(HTTP status, Slack's error code, the answer) of a failed Web API call."""
    status = getattr(error.response, "status_code", 200)
    data = getattr(error.response, "data", None)
    if not isinstance(data, dict):
        return status, None, {}
    code = data.get("error")
    return status, code if isinstance(code, str) else None, data


def _header(headers: Any, name: str) -> str | None:
    """A response header by name, whatever its case (slack-sdk hands over aiohttp's)."""
    items = headers.items() if isinstance(headers, Mapping) else []
    return next((str(v) for k, v in items if str(k).lower() == name), None)


def slack_retry_after(headers: Any, now: datetime) -> float:
    """A 429's wait in seconds: Retry-After as seconds or an HTTP date, else a default."""
    seconds = retry_after_seconds(_header(headers, "retry-after"), now)
    return RETRY_AFTER_DEFAULT if seconds is None else min(seconds, RETRY_AFTER_MAX)


def classify(error: Exception, now: datetime) -> DeliveryError:
    """What a failed Slack call means for the outbox (never echoes the token); `now` reads a
    Retry-After date."""
    if isinstance(error, SlackApiError):
        status, code, _ = _answer(error)
        if status == 429 or code == "ratelimited":
            retry_after = slack_retry_after(error.response.headers, now)
            return RateLimited(f"Slack rate limit: retry after {retry_after:.0f}s", retry_after)
        if code in PERMANENT_ERRORS:
            return PermanentDeliveryError(f"Slack refused the message: {code}")
        if status >= 500:
            return MaybeDelivered(f"Slack answered HTTP {status}")
        return NotDelivered(f"Slack refused the message: {code or f'HTTP {status}'}")
    if isinstance(error, aiohttp.ClientConnectorError):
        return NotDelivered(f"cannot connect to Slack: {error.os_error}")
    if isinstance(error, TimeoutError | aiohttp.ClientError | SlackClientError):
        return MaybeDelivered(f"no answer from Slack: {type(error).__name__}: {error}")
    if isinstance(error, DeliveryError):
        return error
    raise error


def _unchecked(alert: PendingAlert, channel_id: str | None) -> str:
    where = alert.channel
    if channel_id not in (None, alert.channel):
        where += f" ({channel_id})"
    return f"cannot check whether alert {alert.id} was already posted in {where}"


def cannot_verify(
    error: Exception, alert: PendingAlert, channel_id: str | None, now: datetime
) -> CannotVerify:
    """Why the history could not be read, and whether only an operator can fix it."""
    head = _unchecked(alert, channel_id)
    if not isinstance(error, SlackApiError):
        reason = f"no answer from Slack ({type(error).__name__}: {error})"
        return CannotVerify(f"{head}: {reason}", permanent=False)
    status, code, data = _answer(error)
    if code == "missing_scope":
        needed = [n.strip() for n in str(data.get("needed") or "").split(",") if n.strip()]
        reason = f"the token needs the {needed[0]} scope" if len(needed) == 1 else ""
        reason = reason or f"the token lacks a scope (Slack asks for {', '.join(needed)})"
    elif code == "not_in_channel":
        reason = "the bot is not in the channel (invite it: /invite @yourbot)"
    elif code == "channel_not_found":
        reason = "Slack finds no such channel, or it is private and the bot is not in it"
    elif code in AUTH_ERRORS:
        reason = AUTH_ERRORS[code]
    elif status == 429 or code == "ratelimited":
        retry_after = slack_retry_after(error.response.headers, now)
        return CannotVerify(f"{head}: Slack rate limit", permanent=False, retry_after=retry_after)
    else:
        reason = f"Slack answered {code or f'HTTP {status}'}"
    return CannotVerify(f"{head}: {reason}", permanent=code in VERIFY_PERMANENT)


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

    def __init__(
        self,
        url: str,
        followups: str = "separate",
        timeout: float = 30,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._client = AsyncWebhookClient(url=url, timeout=int(timeout))
        self._followups = followups
        self._now = now  # for Retry-After dates

    async def close(self) -> None:
        return None

    async def check_access(self) -> AccessReport:
        """Nothing to ask: a webhook can only post, and trying would post."""
        note = "an incoming webhook has no threads and cannot check whether a post arrived"
        return AccessReport(None, notes=(note,))

    async def send(self, alert: PendingAlert) -> Delivered:
        if alert.parent_id is not None and self._followups == "skip":
            return Delivered(ts=None)
        try:
            response = await self._client.send(
                text=alert.text, blocks=alert.blocks, unfurl_links=False, unfurl_media=False
            )
        except Exception as e:
            raise classify(e, self._now()) from e
        body = (response.body or "").strip()
        if response.status_code == 200 and body in ("ok", ""):
            return Delivered(ts=None)
        if response.status_code == 429:
            retry_after = slack_retry_after(response.headers, self._now())
            raise RateLimited(f"Slack rate limit: retry after {retry_after:.0f}s", retry_after)
        if body in WEBHOOK_PERMANENT or response.status_code in (403, 404, 410):
            raise PermanentDeliveryError(
                f"Slack refused the webhook post: {body or response.status_code}"
            )
        if response.status_code >= 500:
            raise MaybeDelivered(f"Slack answered HTTP {response.status_code}")
        raise NotDelivered(f"Slack refused the webhook post: {body or response.status_code}")

    async def find(self, alert: PendingAlert, channel_id: str | None) -> Delivered | None:
        return None  # a webhook cannot read the channel back: resent, as the class says

    async def update(
        self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        return None
