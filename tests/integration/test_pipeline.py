"""End to end in-process: feeds on a local site -> articles -> rules -> fake Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts import SlackSender
from monitor.config import load_config
from monitor.runtime import run_once
from monitor.storage import open_database
from tests.conftest import write_config
from tests.servers import FakeSlack, FeedSpec, NewsSite


def _message_text(post: dict[str, Any]) -> str:
    return post["text"] + "\n" + json.dumps(post["blocks"], ensure_ascii=False)


async def _run(config_path: Path, slack: FakeSlack) -> Any:
    config = load_config(config_path)
    return await run_once(config, SlackSender(slack.token, slack.api_url))


async def test_one_alert_per_seed_without_boilerplate(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, acceptance: dict[str, Any]
) -> None:
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    report = await _run(path, fake_slack)

    assert report.alerts_sent == 5 and report.alerts_pending == 0
    assert len(fake_slack.posts) == 5
    posted_links = {
        b["elements"][0]["url"]
        for p in fake_slack.posts
        for b in p["blocks"]
        if b["type"] == "actions"
    }
    assert posted_links == {news_site.article_url(name) for name in news_site.pages}
    for post in fake_slack.posts:
        assert post["channel"] == "#news-alerts"
        assert post["unfurl_links"] is False
        assert "link_names" not in post and "parse" not in post
        for facts in acceptance.values():
            for line in facts["boilerplate"]:
                assert line not in _message_text(post)

    db = open_database(tmp_path / "monitor.db")
    texts = {
        Path(url).name.split("?")[0]: text
        for url, text in db.execute("SELECT url, text FROM articles").fetchall()
    }
    for stem, facts in acceptance.items():
        stored = texts[f"{stem}.html"]
        for fragment in facts["keep"]:
            assert fragment in stored, (stem, fragment)
        for line in facts["boilerplate"]:
            assert line not in stored, (stem, line)


async def test_second_run_posts_nothing_and_feed_answers_304(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    await _run(path, fake_slack)
    second = await _run(path, fake_slack)

    assert len(fake_slack.posts) == 5
    assert second.new_entries == 0 and second.alerts_queued == 0
    assert news_site.statuses("/feeds/news.xml") == [200, 304]
    article_fetches = [p for p, _ in news_site.requests if p.startswith("/articles/")]
    assert len(article_fetches) == 5


async def test_changed_feed_is_reparsed_and_only_new_items_alert(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    names = sorted(news_site.pages)
    news_site.feeds["news"].items = names[:3]
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    await _run(path, fake_slack)
    news_site.feeds["news"].items = names
    second = await _run(path, fake_slack)

    assert news_site.statuses("/feeds/news.xml") == [200, 200]
    assert second.new_entries == 2 and len(fake_slack.posts) == 5


@pytest.mark.parametrize("mode", ["error500", "timeout", "garbage"])
async def test_broken_feed_is_recorded_and_others_go_on(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, mode: str
) -> None:
    news_site.hang_seconds = 4  # longer than the 2 s timeout in the test config
    news_site.feeds["broken"] = FeedSpec(items=[], mode=mode)
    path = write_config(
        tmp_path,
        [
            {"url": news_site.feed_url("broken"), "name": "Broken"},
            {"url": news_site.feed_url("news")},
        ],
        slack_api_url=fake_slack.api_url,
    )
    report = await _run(path, fake_slack)

    assert report.feeds_failed == 1 and len(fake_slack.posts) == 5
    db = open_database(tmp_path / "monitor.db")
    error, failures = db.execute(
        "SELECT last_error, consecutive_failures FROM feeds WHERE name = 'Broken'"
    ).fetchone()
    assert news_site.feed_url("broken") in error
    expected = {"error500": "HTTP 500", "timeout": "timed out", "garbage": "not an RSS/Atom feed"}
    assert expected[mode] in error
    assert failures == 1


async def test_slack_error_keeps_alert_pending_then_delivers_exactly_once(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.feeds["news"].items = sorted(news_site.pages)[:2]
    config = load_config(
        write_config(
            tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
        )
    )
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    fake_slack.fail_next(1, status=500)
    first = await run_once(config, sender, now=lambda: t0)
    assert first.alerts_queued == 2 and first.alerts_sent == 0 and first.alerts_pending == 2
    assert fake_slack.posts == []

    too_soon = await run_once(config, sender, now=lambda: t0 + timedelta(seconds=1))
    assert too_soon.alerts_sent == 0  # backing off
    second = await run_once(config, sender, now=lambda: t0 + timedelta(minutes=10))
    third = await run_once(config, sender, now=lambda: t0 + timedelta(minutes=20))
    assert second.alerts_sent == 2 and third.alerts_sent == 0
    assert sorted(fake_slack.alert_ids()) == [1, 2]

    db = open_database(tmp_path / "monitor.db")
    rows = db.execute("SELECT status, ts, attempts, uncertain FROM outbox ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["sent", "sent"]
    assert sorted(r[1] for r in rows) == sorted(p["ts"] for p in fake_slack.posts)
    assert all(r[3] == 0 for r in rows)
    # the first alert failed once, then went; the one behind it waited (order per channel)
    assert sorted(r[2] for r in rows) == [1, 2]


async def test_title_with_channel_ping_reaches_slack_escaped(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    name = sorted(news_site.pages)[2]
    hostile = (
        news_site.pages[name]
        .replace(
            b'<h1 class="post-title">Kirby:', b'<h1 class="post-title">&lt;!channel&gt; Kirby:'
        )
        .replace(b'content="Kirby:', b'content="&lt;!channel&gt; &amp; &lt;@U123&gt; Kirby:')
    )
    news_site.pages["hostile.html"] = hostile
    news_site.feeds["news"].items = ["hostile.html"]
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    await _run(path, fake_slack)

    (post,) = fake_slack.posts
    raw = _message_text(post)
    assert "<!channel>" not in raw and "<@U123>" not in raw
    section_texts = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
    assert any("&lt;!channel&gt;" in t for t in section_texts)
    assert "&amp;" in post["text"]
    for block in post["blocks"]:
        if block.get("text", {}).get("type") == "mrkdwn":
            assert block["text"]["verbatim"] is True


async def test_article_links_to_private_addresses_are_refused_by_default(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news")}],
        slack_api_url=fake_slack.api_url,
        fetch={"allow_private_addresses": False},
    )
    report = await _run(path, fake_slack)

    assert report.new_entries == 5 and fake_slack.posts == []
    assert not [p for p, _ in news_site.requests if p.startswith("/articles/")]
    db = open_database(tmp_path / "monitor.db")
    errors = [r[0] for r in db.execute("SELECT last_error FROM entries").fetchall()]
    assert len(errors) == 5
    assert all("127.0.0.1" in e and "allow_private_addresses" in e for e in errors)


async def test_failed_article_fetch_is_retried_after_backoff(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    name = sorted(news_site.pages)[1]
    news_site.feeds["news"].items = [name]
    news_site.article_failures[name] = 1
    config = load_config(
        write_config(
            tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
        )
    )
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)

    first = await run_once(config, sender, now=lambda: t0)
    too_soon = await run_once(config, sender, now=lambda: t0 + timedelta(minutes=1))
    later = await run_once(config, sender, now=lambda: t0 + timedelta(minutes=3))

    assert (first.alerts_queued, too_soon.alerts_queued, later.alerts_queued) == (0, 0, 1)
    assert news_site.statuses(f"/articles/{name}") == [503, 200]
    assert len(fake_slack.posts) == 1


KIRBY_002 = "002_e0f8f1b24ebca186.html"
KIRBY_003 = "003_c43a629d9d38626b.html"


def _top_and_replies(slack: FakeSlack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    top = [p for p in slack.posts if not p.get("thread_ts")]
    replies = [p for p in slack.posts if p.get("thread_ts")]
    return top, replies


def _assert_four_alerts_one_reply(
    slack: FakeSlack, site: NewsSite, reply_page: str | tuple[str, ...]
) -> None:
    """Four top-level alerts and one reply, in the Kirby alert's thread, linking
    `reply_page` (or one of them, when either report may be processed first)."""
    top, replies = _top_and_replies(slack)
    assert len(top) == 4 and len(replies) == 1
    (reply,) = replies
    kirby = [
        i
        for i, p in enumerate(slack.posts)
        if not p.get("thread_ts") and "gotta win this war" in p["blocks"][0]["text"]["text"]
    ]
    assert len(kirby) == 1
    assert reply["thread_ts"] == slack.posts[kirby[0]]["ts"]  # the Kirby alert's ts
    assert "Also reported by" in reply["text"]
    reply_links = [b["elements"][0]["url"] for b in reply["blocks"] if b["type"] == "actions"]
    pages = (reply_page,) if isinstance(reply_page, str) else reply_page
    assert reply_links in [[site.article_url(page)] for page in pages]


@pytest.mark.parametrize(("first", "second"), [(KIRBY_002, KIRBY_003), (KIRBY_003, KIRBY_002)])
async def test_seeds_give_four_alerts_and_one_thread_reply_in_either_order(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, first: str, second: str
) -> None:
    others = [n for n in sorted(news_site.pages) if n not in (KIRBY_002, KIRBY_003)]
    news_site.feeds["news"].items = [*others, first]
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    await _run(path, fake_slack)
    news_site.feeds["news"].items = [*others, first, second]
    await _run(path, fake_slack)
    _assert_four_alerts_one_reply(fake_slack, news_site, reply_page=second)


async def test_seeds_arriving_in_one_poll_give_four_alerts_and_one_reply(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    report = await _run(path, fake_slack)
    assert report.alerts_queued == 5 and report.alerts_pending == 0
    top, replies = _top_and_replies(fake_slack)
    assert len(top) == 4 and len(replies) == 1
    db = open_database(tmp_path / "monitor.db")
    assert db.execute("SELECT count(*) FROM stories").fetchone()[0] == 4


async def test_followups_ignore_sends_no_reply(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: Kirby on NATO\n    all: [Ukraine, NATO]\n"
        "    require_statement: true\n    speakers: [Kirby]\n    followups: ignore\n",
        encoding="utf-8",
    )
    news_site.feeds["news"].items = [KIRBY_002, KIRBY_003]
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news")}],
        slack_api_url=fake_slack.api_url,
        rules=rules,
    )
    await _run(path, fake_slack)
    top, replies = _top_and_replies(fake_slack)
    assert len(top) == 1 and replies == []
    assert top[0]["blocks"][0]["text"]["text"].startswith("John Kirby:")


async def test_article_without_an_on_topic_statement_is_not_an_alert(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.pages["report.html"] = (
        b"<html><head><title>Front line report</title></head><body><article>"
        b"<h1>Front line report</h1><p>Ukraine and NATO were mentioned in passing as the "
        b"shelling of the city went on through the night, residents said in the morning.</p>"
        b"<p>\xe2\x80\x9cThe EU must speed up accession talks,\xe2\x80\x9d Kaja Kallas said about "
        b"the bloc's enlargement plans for the coming years.</p></article></body></html>"
    )
    news_site.feeds["news"].items = ["report.html"]
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    report = await _run(path, fake_slack)
    assert report.alerts_queued == 0 and fake_slack.posts == []


async def test_column_recalling_older_quotes_is_not_an_alert(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.pages["column.html"] = (
        "<html><head><title>Opinion: Ukraine, NATO and the long road</title></head><body>"
        "<article><h1>Opinion: Ukraine, NATO and the long road</h1>"
        "<p>John Kirby spoke about Ukraine and NATO membership many times last year.</p>"
        "<p>In June, Kirby said that Ukraine must first win the war before it joins NATO.</p>"
        "<p>“NATO membership is in Ukraine’s future,” Kirby said in June at a briefing.</p>"
        "<p>The author thinks the alliance should move faster on the membership question.</p>"
        "</article></body></html>"
    ).encode()
    news_site.feeds["news"].items = ["column.html"]
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    report = await _run(path, fake_slack)
    assert report.alerts_queued == 0 and fake_slack.posts == []
    db = open_database(tmp_path / "monitor.db")
    rows = db.execute("SELECT background, story_id FROM statements").fetchall()
    assert rows and all(background == 1 and story is None for background, story in rows)


async def test_same_words_on_another_day_are_a_new_statement(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    later = (
        news_site.pages[KIRBY_003]
        .replace(b"at a White House press briefing on 17 June", b"in a TV interview on 21 June")
        .replace(b"2024-06-18T11:30:00+03:00", b"2024-06-22T10:00:00+03:00")
    )
    news_site.pages["later.html"] = later
    news_site.feeds["news"].items = [KIRBY_002, "later.html"]
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    await _run(path, fake_slack)
    top, replies = _top_and_replies(fake_slack)
    assert len(top) == 2 and replies == []


async def test_throttle_holds_extra_alerts_for_an_hourly_digest(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    rules = tmp_path / "rules.yaml"
    shipped = (Path(__file__).parents[2] / "rules" / "ukraine-nato.yaml").read_text("utf-8")
    rules.write_text(
        shipped.replace("    followups: thread", "    followups: thread\n    throttle: 2"),
        encoding="utf-8",
    )
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news")}],
        slack_api_url=fake_slack.api_url,
        rules=rules,
    )
    config = load_config(path)
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)

    await run_once(config, sender, now=lambda: t0)
    top, _ = _top_and_replies(fake_slack)
    assert len(top) == 2  # the throttle: 2 per hour

    later = await run_once(config, sender, now=lambda: t0 + timedelta(minutes=61))
    top, replies = _top_and_replies(fake_slack)
    digests = [p for p in top if "more alerts this hour (digest)" in p["text"]]
    assert len(top) == 3 and len(digests) == 1
    assert "2 more alerts" in digests[0]["text"]
    assert len(replies) == 1  # story C's second outlet, in its alert's or the digest's thread
    assert later.alerts_pending == 0
    db = open_database(tmp_path / "monitor.db")
    assert db.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0


@pytest.mark.parametrize("respect", [True, False])
async def test_robots_txt_is_respected_for_articles(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, respect: bool
) -> None:
    news_site.robots = "User-agent: monitor\nDisallow: /articles/00\n"
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "robots": respect}],
        slack_api_url=fake_slack.api_url,
    )
    await _run(path, fake_slack)
    fetched = {p for p, _ in news_site.requests if p.startswith("/articles/")}
    if respect:
        assert fetched == {"/articles/" + n for n in news_site.pages if not n.startswith("00")}
        assert news_site.statuses("/robots.txt") == [200]  # fetched once, cached
        db = open_database(tmp_path / "monitor.db")
        notes = [r[0] for r in db.execute("SELECT last_error FROM entries WHERE status = 'done'")]
        assert sum("robots.txt disallows" in (n or "") for n in notes) == 5
    else:
        assert len(fetched) == 5


@pytest.mark.parametrize(("mode", "page_fetches"), [("auto", 0), ("always", 5), ("never", 0)])
async def test_fetch_article_uses_the_feeds_full_copy(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, mode: str, page_fetches: int
) -> None:
    news_site.feeds["news"].full_content = True
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "fetch_article": mode}],
        slack_api_url=fake_slack.api_url,
    )
    report = await _run(path, fake_slack)
    fetched = [p for p, _ in news_site.requests if p.startswith("/articles/")]
    assert len(fetched) == page_fetches
    assert report.alerts_queued == 5  # the same 4 alerts + 1 reply, whichever copy was read
    top, replies = _top_and_replies(fake_slack)
    assert len(top) == 4 and len(replies) == 1


async def test_seeds_published_within_one_hour_give_four_alerts_and_one_reply(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    """The publication dates do not keep the stories apart: the telethon remark (B) and the
    briefing remark (C) of Kirby arriving the same hour are still two stories."""
    for i, name in enumerate(sorted(news_site.pages)):
        page = news_site.pages[name]
        start = page.index(b'article:published_time" content="') + 33
        end = page.index(b'"', start)
        stamp = f"2024-06-18T11:{10 + i}:00+03:00".encode()
        news_site.pages[name] = page[:start] + stamp + page[end:]
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    await _run(path, fake_slack)
    # both briefing reports arrive in the same minute: either may be processed first
    _assert_four_alerts_one_reply(fake_slack, news_site, reply_page=(KIRBY_002, KIRBY_003))
