"""SlackSender against the fake Slack Web API, through the real slack-sdk client: the token's
scopes checked at start, the history lookup that must never answer "not posted" without having
read the history, and Retry-After given as an HTTP date."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import aiohttp
import pytest

from monitor.alerts.access import SCOPES
from monitor.alerts.senders import SlackSender, WebhookSender
from monitor.errors import CannotVerify, RateLimited, SlackAuthError
from monitor.records import PendingAlert
from tests.servers import FULL_SCOPES, FakeSlack

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
HTTP_DATE_2_MINUTES_LATER = "Thu, 01 Jan 2026 12:02:00 GMT"


def _alert(alert_id: int, channel: str = "#news-alerts", **fields: object) -> PendingAlert:
    return PendingAlert(
        id=alert_id,
        channel=channel,
        text=f"alert {alert_id}",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"alert {alert_id}"}}],
        attempts=1,
        uncertain=True,
        created_at=datetime.now(UTC),
        **fields,  # type: ignore[arg-type]
    )


def _sender(slack: FakeSlack, **options: object) -> SlackSender:
    return SlackSender(slack.token, slack.api_url, **options)  # type: ignore[arg-type]


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/api/"


# The fake answers as Slack does


async def test_fake_reads_are_get_only_and_every_answer_lists_the_scopes(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.scopes = {"chat:write", "channels:history"}
    sender = _sender(fake_slack)
    posted = await sender.send(_alert(1))
    assert await sender.find(_alert(2), posted.channel_id) is None
    assert ("GET", "conversations.history") in fake_slack.calls

    headers = {"Authorization": f"Bearer {fake_slack.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        url = f"{fake_slack.api_url}conversations.history"
        async with http.post(url, data={"channel": posted.channel_id}) as response:
            assert response.status == 405
        async with http.get(url, params={"channel": posted.channel_id}) as response:
            assert response.headers["x-oauth-scopes"] == "channels:history,chat:write"
        async with http.get(f"{fake_slack.api_url}conversations.list") as response:
            answer = await response.json()
    assert answer == {
        "ok": False,
        "error": "missing_scope",
        "needed": "channels:read",
        "provided": "channels:history,chat:write",
    }


# check_access: the token's scopes at start


async def test_a_full_token_passes_the_check_without_warnings(fake_slack: FakeSlack) -> None:
    report = await _sender(fake_slack).check_access()
    assert report.scopes == FULL_SCOPES
    assert report.warnings == () and report.notes == () and report.missing == frozenset()
    assert (report.team, report.user) == ("Fake Team", "monitor")


async def test_a_post_only_token_gets_a_warning_for_each_missing_scope(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.scopes = {"chat:write"}
    report = await _sender(fake_slack).check_access()
    missing = {"channels:read", "groups:read", "channels:history", "groups:history"}
    assert report.missing == missing
    named = {scope for scope in SCOPES for w in report.warnings if f" {scope} scope" in w}
    assert named == missing and len(report.warnings) == 4
    history = next(w for w in report.warnings if "channels:history" in w)
    assert "never posted twice" in history
    (note,) = report.notes
    assert "chat:write.public" in note and "invite" in note


async def test_a_token_without_chat_write_is_told_it_cannot_post(fake_slack: FakeSlack) -> None:
    fake_slack.scopes = set(FULL_SCOPES) - {"chat:write"}
    report = await _sender(fake_slack).check_access()
    (warning,) = report.warnings
    assert "chat:write" in warning and "post alerts" in warning


@pytest.mark.parametrize(
    ("token", "fault", "code"),
    [
        ("xoxb-wrong-secret-token", None, "invalid_auth"),
        ("", None, "not_authed"),
        (None, "token_revoked", "token_revoked"),
    ],
)
async def test_a_rejected_token_raises_one_actionable_line_without_the_token(
    fake_slack: FakeSlack, token: str | None, fault: str | None, code: str
) -> None:
    if fault:
        fake_slack.fail_next(error=fault, method="auth.test")
    sender = SlackSender(fake_slack.token if token is None else token, fake_slack.api_url)
    with pytest.raises(SlackAuthError) as raised:
        await sender.check_access()
    message = str(raised.value)
    assert code in message and "SLACK_BOT_TOKEN" in message and "\n" not in message
    assert fake_slack.token not in message and "secret" not in message


async def test_slack_down_at_start_is_a_warning_not_an_error(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next(status=503, error="upstream down", method="auth.test")
    report = await _sender(fake_slack).check_access()
    assert report.scopes is None and "HTTP 503" in report.warnings[0]
    assert "outbox" in report.warnings[0]

    down = SlackSender(fake_slack.token, _closed_port_url())
    report = await down.check_access()
    assert report.scopes is None and "no answer from Slack" in report.warnings[0]


# find: never "not posted" unless the history was read


async def test_find_reports_the_alert_when_posted_and_none_when_not(
    fake_slack: FakeSlack,
) -> None:
    sender = _sender(fake_slack)
    posted = await sender.send(_alert(7))
    assert await sender.find(_alert(7), posted.channel_id) == posted
    assert await sender.find(_alert(8), posted.channel_id) is None
    assert await sender.find(_alert(7), None) == posted  # the channel's ID found by its name


async def test_find_reads_past_the_first_page_of_history(fake_slack: FakeSlack) -> None:
    sender = _sender(fake_slack)
    posted = await sender.send(_alert(1))
    later = [
        {"channel": "#news-alerts", "text": f"other {i}", "channel_id": posted.channel_id}
        for i in range(450)
    ]
    fake_slack.posts += [
        {**p, "ts": f"{int(time.time()) + 1}.{i:06d}"} for i, p in enumerate(later)
    ]
    assert await sender.find(_alert(1), posted.channel_id) == posted
    assert fake_slack.calls.count(("GET", "conversations.history")) == 3  # 200 + 200 + 51


async def test_find_looks_in_the_thread_for_a_reply(fake_slack: FakeSlack) -> None:
    sender = _sender(fake_slack)
    parent = await sender.send(_alert(1))
    reply = await sender.send(_alert(2, thread_ts=parent.ts, parent_id=1))
    assert await sender.find(_alert(2, thread_ts=parent.ts, parent_id=1), parent.channel_id) == (
        reply
    )
    assert ("GET", "conversations.replies") in fake_slack.calls


@pytest.mark.parametrize(
    ("channel", "scope"), [("#news-alerts", "channels:history"), ("#private", "groups:history")]
)
async def test_a_post_only_token_cannot_verify_and_says_which_scope(
    fake_slack: FakeSlack, channel: str, scope: str
) -> None:
    fake_slack.scopes = {"chat:write"}
    fake_slack.private_channels = {"#private"}
    sender = _sender(fake_slack)
    posted = await sender.send(_alert(3, channel))
    with pytest.raises(CannotVerify) as raised:
        await sender.find(_alert(3, channel), posted.channel_id)
    assert raised.value.permanent
    message = str(raised.value)
    assert "alert 3 " in message and channel in message and f"needs the {scope} scope" in message


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("not_in_channel", "invite it"),
        ("channel_not_found", "no such channel"),
        ("invalid_auth", "SLACK_BOT_TOKEN"),
    ],
)
async def test_what_only_an_operator_can_fix_is_permanent(
    fake_slack: FakeSlack, error: str, says: str
) -> None:
    sender = _sender(fake_slack)
    posted = await sender.send(_alert(4))
    fake_slack.fail_next(error=error, method="conversations.history")
    with pytest.raises(CannotVerify) as raised:
        await sender.find(_alert(4), posted.channel_id)
    assert raised.value.permanent and says in str(raised.value)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 405, "error": "Method Not Allowed"},
        {"status": 500, "error": "Internal Server Error"},
        {"status": 200, "error": "internal_error"},
        {"retry_after": 20},
        {"delay": 2.5},
    ],
)
async def test_a_history_that_fails_for_now_is_not_verified_and_not_permanent(
    fake_slack: FakeSlack, fault: dict[str, object]
) -> None:
    sender = _sender(fake_slack, timeout=1)
    posted = await sender.send(_alert(5))
    fake_slack.fail_next(method="conversations.history", **fault)  # type: ignore[arg-type]
    with pytest.raises(CannotVerify) as raised:
        await sender.find(_alert(5), posted.channel_id)
    assert not raised.value.permanent and "alert 5" in str(raised.value)
    if "retry_after" in fault:
        assert raised.value.retry_after == 20


async def test_slack_unreachable_cannot_verify(fake_slack: FakeSlack) -> None:
    down = SlackSender(fake_slack.token, _closed_port_url())
    with pytest.raises(CannotVerify) as raised:
        await down.find(_alert(6), "C00000001")
    assert not raised.value.permanent


async def test_finding_the_channel_id_needs_the_read_scopes(fake_slack: FakeSlack) -> None:
    fake_slack.scopes = {"chat:write", "channels:history"}
    sender = _sender(fake_slack)
    await sender.send(_alert(1))
    with pytest.raises(CannotVerify) as raised:
        await sender.find(_alert(1), None)
    assert raised.value.permanent and "channels:read" in str(raised.value)


async def test_a_public_channels_token_finds_ids_once_its_scopes_are_known(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.scopes = {"chat:write", "channels:read", "channels:history"}
    sender = _sender(fake_slack)
    posted = await sender.send(_alert(1))
    with pytest.raises(CannotVerify, match="groups:read"):
        await sender.find(_alert(1), None)  # lists private channels too: missing_scope
    await sender.check_access()
    assert await sender.find(_alert(1), None) == posted  # lists only what it may read


# Retry-After: seconds or an HTTP date


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (HTTP_DATE_2_MINUTES_LATER, 120),
        ("45", 45),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0),
        ("soon", 30),
    ],
)
async def test_retry_after_as_seconds_or_an_http_date(
    fake_slack: FakeSlack, header: str, seconds: float
) -> None:
    fake_slack.fail_next(retry_after=header)
    with pytest.raises(RateLimited) as raised:
        await _sender(fake_slack, now=lambda: T0).send(_alert(1))
    assert raised.value.retry_after == seconds

    assert fake_slack.server is not None
    webhook = WebhookSender(f"{fake_slack.server.url}/webhook/ok", now=lambda: T0)
    fake_slack.fail_next(retry_after=header)
    with pytest.raises(RateLimited) as raised:
        await webhook.send(_alert(2))
    assert raised.value.retry_after == seconds
    assert not fake_slack.posts
