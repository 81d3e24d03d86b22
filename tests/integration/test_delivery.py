"""Delivery guarantees against a fake Slack Web API (driven through the real slack-sdk):
rate limits, errors, timeouts, refused connections, permanent failures, threads."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerts import SlackSender
from monitor.alerts.senders import WebhookSender
from monitor.config import Config, load_config
from monitor.runtime import RunReport, run_once
from monitor.storage.sql.outbox import problem_alerts, requeue
from tests.conftest import stored_db, write_config
from tests.servers import FakeSlack, NewsSite

pytestmark = pytest.mark.usefixtures("each_backend")  # SQLite and PostgreSQL

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def _config(tmp_path: Path, site: NewsSite, api_url: str, items: int = 5) -> Config:
    site.feeds["news"].items = sorted(site.pages)[:items]
    return load_config(
        write_config(tmp_path, [{"url": site.feed_url("news")}], slack_api_url=api_url)
    )


async def _until_drained(
    config: Config, sender: SlackSender, clock: Clock, rounds: int = 12
) -> RunReport:
    report = await run_once(config, sender, now=clock)
    for _ in range(rounds):
        if report.alerts_pending == 0:
            break
        clock.advance(minutes=20)
        report = await run_once(config, sender, now=clock)
    return report


def _exactly_once_in_order(slack: FakeSlack, expected: int, db_path: Path) -> None:
    ids = slack.alert_ids()
    assert len(ids) == expected and len(set(ids)) == expected  # all, none twice
    db = stored_db(db_path.parent)
    feed_order = [
        r[0]
        for r in db.execute("SELECT id FROM outbox WHERE parent_id IS NULL ORDER BY id").fetchall()
    ]
    top = [
        p["metadata"]["event_payload"]["alert_id"]
        for p in slack.posts
        if p.get("metadata") and not p.get("thread_ts")
    ]
    assert top == feed_order  # one channel: in the order the alerts were decided


async def test_429_bursts_wait_for_retry_after(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    config = _config(tmp_path, news_site, fake_slack.api_url)
    clock = Clock()
    fake_slack.fail_next(3, retry_after=30)
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    first = await run_once(config, sender, now=clock)
    assert first.alerts_sent == 0
    clock.advance(seconds=10)
    assert (await run_once(config, sender, now=clock)).alerts_sent == 0  # still waiting
    report = await _until_drained(config, sender, clock)
    assert report.alerts_pending == 0
    _exactly_once_in_order(fake_slack, 5, tmp_path / "monitor.db")


@pytest.mark.parametrize(
    "fault", ["error500", "timeout_posted", "timeout_not_posted", "500_posted"]
)
async def test_ambiguous_and_server_errors_end_exactly_once(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, fault: str
) -> None:
    config = _config(tmp_path, news_site, fake_slack.api_url)
    if fault == "error500":
        fake_slack.fail_next(2, status=500)
    elif fault == "500_posted":
        fake_slack.fail_next(2, status=500, post_anyway=True)
    else:
        fake_slack.fail_next(2, status=200, delay=2.5, post_anyway=fault == "timeout_posted")
    sender = SlackSender(fake_slack.token, fake_slack.api_url, timeout=1)
    report = await _until_drained(config, sender, Clock())
    assert report.alerts_pending == 0
    _exactly_once_in_order(fake_slack, 5, tmp_path / "monitor.db")


async def test_connection_refused_then_slack_returns(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    config = _config(tmp_path, news_site, fake_slack.api_url)
    clock = Clock()
    down = SlackSender(fake_slack.token, f"http://127.0.0.1:{closed_port}/api/")
    first = await run_once(config, down, now=clock)
    assert first.alerts_sent == 0 and first.alerts_pending == 5
    db = stored_db(tmp_path)
    assert db.execute("SELECT max(uncertain) FROM outbox").fetchone()[0] == 0  # surely unsent
    report = await _until_drained(config, SlackSender(fake_slack.token, fake_slack.api_url), clock)
    assert report.alerts_pending == 0
    _exactly_once_in_order(fake_slack, 5, tmp_path / "monitor.db")


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_auth", "not_in_channel"])
async def test_permanent_errors_fail_once_and_retry_requeues(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, error: str
) -> None:
    config = _config(tmp_path, news_site, fake_slack.api_url, items=2)
    clock = Clock()
    fake_slack.fail_next(1, error=error)
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    report = await _until_drained(config, sender, clock)
    assert report.alerts_pending == 0 and len(fake_slack.posts) == 1
    db = stored_db(tmp_path)
    ((alert_id, _, _, reason),) = problem_alerts(db)
    assert error in reason

    assert requeue(db, [alert_id]) == 1
    clock.advance(minutes=1)
    await run_once(config, sender, now=clock)
    assert sorted(fake_slack.alert_ids()) == [1, 2]


async def test_followups_thread_and_update_the_outlet_count(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    config = _config(tmp_path, news_site, fake_slack.api_url)
    await run_once(config, SlackSender(fake_slack.token, fake_slack.api_url))
    (reply,) = [p for p in fake_slack.posts if p.get("thread_ts")]
    parent = next(p for p in fake_slack.posts if p["ts"] == reply["thread_ts"])
    assert "gotta win this war" in parent["blocks"][0]["text"]["text"]
    assert reply["channel_id"] == parent["channel_id"]
    (update,) = fake_slack.updates
    assert update["ts"] == parent["ts"] and update["channel"] == parent["channel_id"]
    context = next(b for b in update["blocks"] if b["type"] == "context")
    assert "reported by 2 outlets" in context["elements"][0]["text"]


@pytest.mark.parametrize(("followups", "posts"), [("separate", 5), ("skip", 4)])
async def test_incoming_webhook_delivery(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, followups: str, posts: int
) -> None:
    assert fake_slack.server is not None
    config = _config(tmp_path, news_site, fake_slack.api_url)
    sender = WebhookSender(f"{fake_slack.server.url}/webhook/ok", followups)
    fake_slack.fail_next(1, status=500, error="internal error")
    report = await _until_drained(config, sender, Clock())
    assert report.alerts_pending == 0 and len(fake_slack.posts) == posts
    assert all("thread_ts" not in p for p in fake_slack.posts)
    assert any("Also reported by" in p["text"] for p in fake_slack.posts) == (posts == 5)


async def test_webhook_permanent_error_is_reported(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    assert fake_slack.server is not None
    config = _config(tmp_path, news_site, fake_slack.api_url, items=1)
    sender = WebhookSender(f"{fake_slack.server.url}/webhook/gone")
    await run_once(config, sender, now=Clock())
    db = stored_db(tmp_path)
    ((_, _, _, reason),) = problem_alerts(db)
    assert "no_service" in reason


async def test_a_broken_channel_does_not_stop_the_others(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - {name: A, query: NATO, channel: '#a'}\n"
        "  - {name: B, query: Ukraine, channel: '#b'}\n",
        encoding="utf-8",
    )
    config = _config(tmp_path, news_site, fake_slack.api_url)
    config = config.model_copy(update={"rules": rules})
    fake_slack.missing_channels = {"#a"}
    report = await _until_drained(
        config, SlackSender(fake_slack.token, fake_slack.api_url), Clock()
    )
    assert report.alerts_pending == 0
    delivered = [p for p in fake_slack.posts if p["channel"] == "#b"]
    assert len(delivered) == 5 and not [p for p in fake_slack.posts if p["channel"] == "#a"]
    failed = problem_alerts(stored_db(tmp_path))
    assert len(failed) == 5 and all(c == "#a" and "channel_not_found" in r for _, _, c, r in failed)
