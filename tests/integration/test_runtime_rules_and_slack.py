"""Through the whole runtime: a rule whose regex runs away is reported and the other rules
alert; a Retry-After given as an HTTP date is waited out; hidden characters in a title never
reach Slack (the stored title keeps them); a digest is delivered like any other alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from monitor.alerts import SlackSender
from monitor.config import Config, load_config
from monitor.runtime import run_once
from tests.conftest import stored_db, write_config
from tests.servers import FakeSlack, NewsSite

pytestmark = pytest.mark.usefixtures("each_backend")  # SQLite and PostgreSQL

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
RUNAWAY = "a" * 40 + "b"


def _config(tmp_path: Path, site: NewsSite, slack: FakeSlack, rules: str) -> Config:
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    config = load_config(
        write_config(
            tmp_path, [{"url": site.feed_url("news")}], slack_api_url=slack.api_url, rules=path
        )
    )
    return config.model_copy(
        update={
            "slack": config.slack.model_copy(update={"ops_channel": "#ops"}),
            "runtime": config.runtime.model_copy(update={"regex_timeout": timedelta(seconds=0.2)}),
        }
    )


async def test_a_runaway_regex_rule_is_reported_and_the_other_rules_still_alert(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.pages["runaway.html"] = (
        b"<html><head><title>Summit diary</title></head><body><article><h1>Summit diary</h1>"
        b"<p>NATO leaders met in Vilnius to talk about Ukraine and the alliance's future.</p>"
        b"<p>" + RUNAWAY.encode() + b"</p></article></body></html>"
    )
    news_site.feeds["news"].items = sorted(news_site.pages)
    rules = (
        "rules:\n  - name: NATO\n    query: NATO\n  - name: Runaway\n    query: 'text:/(a|aa)+$/'\n"
    )
    config = _config(tmp_path, news_site, fake_slack, rules)
    report = await run_once(config, SlackSender(fake_slack.token, fake_slack.api_url))

    nato = [p for p in fake_slack.posts if p["channel"] == "#news-alerts"]
    assert len(nato) == 6 and report.alerts_failed == 0  # every article, the runaway one too
    ops = [p["text"] for p in fake_slack.posts if p["channel"] == "#ops"]
    assert len(ops) == 1 and "Runaway" in ops[0] and "ran out of time" in ops[0]
    db = stored_db(tmp_path)
    (problem,) = db.execute("SELECT kind, subject, detail FROM problems").fetchall()
    assert problem[:2] == ("rule_timeout", "Runaway") and "runaway.html" in problem[2]


async def test_retry_after_as_an_http_date_is_waited_out(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.feeds["news"].items = sorted(news_site.pages)[:1]
    config = _config(tmp_path, news_site, fake_slack, "rules:\n  - {name: N, query: NATO}\n")
    in_90s = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    fake_slack.fail_next(1, retry_after=in_90s)
    sender = SlackSender(fake_slack.token, fake_slack.api_url)

    first = await run_once(config, sender, now=lambda: T0)
    assert first.alerts_sent == 0 and first.alerts_pending == 1
    db = stored_db(tmp_path)
    (retry_at,) = db.execute("SELECT next_attempt_at FROM outbox").fetchone()
    waited = (datetime.fromisoformat(retry_at) - T0).total_seconds()
    assert 60 < waited <= 91  # the date, not a default and not an error
    early = await run_once(config, sender, now=lambda: T0 + timedelta(seconds=30))
    assert early.alerts_sent == 0
    later = await run_once(config, sender, now=lambda: T0 + timedelta(seconds=95))
    assert later.alerts_sent == 1 and len(fake_slack.alert_ids()) == 1


async def test_hidden_characters_in_a_title_never_reach_slack(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    name = "002_e0f8f1b24ebca186.html"
    page = news_site.pages[name].replace(b"Kirby:", "Kirby\u202e\u200b:".encode(), 2)
    news_site.pages = {"hidden.html": page}
    news_site.feeds["news"].items = ["hidden.html"]
    config = load_config(
        write_config(
            tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
        )
    )
    await run_once(config, SlackSender(fake_slack.token, fake_slack.api_url))

    (post,) = fake_slack.posts
    raw = post["text"] + json.dumps(post["blocks"], ensure_ascii=False)
    assert "\u202e" not in raw and "\u200b" not in raw and "Kirby:" in raw
    db = stored_db(tmp_path)
    (title,) = db.execute("SELECT title FROM articles").fetchone()
    assert "\u202e" in title  # what the page said is kept as it was


async def test_a_digest_posted_but_unanswered_is_found_not_posted_again(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    config = _config(
        tmp_path, news_site, fake_slack, "rules:\n  - {name: N, query: NATO, throttle: 1}\n"
    )
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    await run_once(config, sender, now=lambda: T0)
    top = [p for p in fake_slack.posts if not p.get("thread_ts")]
    # one alert an hour, three held; the Kirby reply goes out only if its alert went first
    # (which story is decided first depends on which worker finishes first)
    assert len(top) == 1 and len(fake_slack.posts) <= 2
    fake_slack.fail_next(1, status=500, post_anyway=True)  # the digest lands, the answer fails
    await run_once(config, sender, now=lambda: T0 + timedelta(minutes=61))
    await run_once(config, sender, now=lambda: T0 + timedelta(minutes=90))
    digests = [p for p in fake_slack.posts if "(digest)" in p["text"]]
    assert len(digests) == 1 and "3 more alerts" in digests[0]["text"]
    db = stored_db(tmp_path)
    assert db.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0


async def test_an_ambiguous_send_whose_history_check_fails_is_not_resent(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.feeds["news"].items = sorted(news_site.pages)[:1]
    config = _config(tmp_path, news_site, fake_slack, "rules:\n  - {name: N, query: NATO}\n")
    fake_slack.fail_next(1, status=500, post_anyway=True)  # posted, but Slack answered 500
    fake_slack.fail_next(10, status=405, method="conversations.history")  # cannot look
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    for hour in range(8):  # every retry looks again, and never posts blindly
        at = T0 + timedelta(hours=hour)
        await run_once(config, sender, now=lambda at=at: at)
    alerts = [p for p in fake_slack.posts if p["channel"] == "#news-alerts"]
    assert len(alerts) == 1  # the ops channel heard about it; the alert went once
    db = stored_db(tmp_path)
    (status, error) = db.execute("SELECT status, last_error FROM outbox").fetchone()
    assert status == "unverified" and "alerts retry --force" in error
