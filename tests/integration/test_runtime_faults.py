"""One bad item never stops the others: a worker that dies or hangs fails only its own entry,
which is retried, then quarantined and re-queued by hand; odd dates and duplicate links are
handled like any other entry."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.alerts import SlackSender
from monitor.config import Config, load_config
from monitor.durations import parse_duration
from monitor.runtime import run_once
from monitor.runtime.once import drain
from monitor.runtime.poller import Poller
from monitor.storage import open_database
from monitor.storage.sql import entries as entry_table
from tests.conftest import open_db, poison, runtime_for, write_config
from tests.servers import FakeSlack, FeedSpec, NewsSite

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def _poisoned_config(
    tmp_path: Path, site: NewsSite, slack: FakeSlack, deadline: str, database: str
) -> Config:
    boilerplate = poison(tmp_path, site)
    config = load_config(
        write_config(
            tmp_path,
            [{"url": site.feed_url("news")}],
            slack_api_url=slack.api_url,
            database=database,
        )
    )
    return config.model_copy(
        update={
            "extraction": config.extraction.model_copy(update={"boilerplate": boilerplate}),
            "runtime": config.runtime.model_copy(
                update={"item_deadline": parse_duration(deadline)}
            ),
        }
    )


def _entry(database: str, name: str) -> dict[str, Any]:
    db = open_db(database)
    rows = list(db.query("SELECT * FROM entries WHERE url LIKE ?", [f"%/{name}%"]))
    assert len(rows) == 1
    return rows[0]


async def test_a_worker_killed_mid_item_fails_only_that_entry(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, database: str
) -> None:
    config = _poisoned_config(tmp_path, news_site, fake_slack, "10m", database)
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    async with runtime_for(config, Clock(), sender) as runtime:
        await Poller(runtime).poll_all()
        work = asyncio.create_task(drain(runtime))
        for _ in range(3000):  # until the good articles alerted and one worker is stuck
            if len(fake_slack.posts) == 5 and len(runtime.pool.pids(busy=True)) == 1:
                break
            await asyncio.sleep(0.01)
        (stuck,) = runtime.pool.pids(busy=True)
        os.kill(stuck, signal.SIGKILL)
        await asyncio.wait_for(work, 30)
        assert runtime.pool.replaced == 1 and stuck not in runtime.pool.pids()

    entry = _entry(database, "poison.html")
    assert entry["status"] == "new" and entry["attempts"] == 1  # to be retried
    assert "worker process died" in entry["last_error"]
    assert len(fake_slack.posts) == 5  # the other articles alerted as usual


async def test_a_stuck_worker_is_replaced_at_the_deadline_and_the_entry_quarantined(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, database: str
) -> None:
    config = _poisoned_config(tmp_path, news_site, fake_slack, "1s", database)
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    clock = Clock()
    first = await run_once(config, sender, now=clock)
    assert first.alerts_sent == 5  # the good ones did not wait for the stuck one
    entry = _entry(database, "poison.html")
    assert "longer than 1s; its worker was replaced" in entry["last_error"]
    for _ in range(config.runtime.max_attempts - 1):
        clock.at += timedelta(hours=1)  # past every backoff
        await run_once(config, sender, now=clock)
    entry = _entry(database, "poison.html")
    assert entry["status"] == "quarantined" and entry["attempts"] == config.runtime.max_attempts
    assert news_site.served["poison.html"] == config.runtime.max_attempts
    clock.at += timedelta(days=1)
    await run_once(config, sender, now=clock)
    assert news_site.served["poison.html"] == config.runtime.max_attempts  # set aside

    db = open_db(database)
    assert entry_table.requeue_entries(db, [int(entry["id"])]) == 1  # `monitor entries retry`
    assert _entry(database, "poison.html")["status"] == "new"
    assert len(fake_slack.posts) == 5


async def test_the_same_link_in_two_feeds_in_one_poll_is_one_alert(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.feeds["copy"] = FeedSpec(items=sorted(news_site.pages), title="Aggregator")
    config = load_config(
        write_config(
            tmp_path,
            [{"url": news_site.feed_url("news")}, {"url": news_site.feed_url("copy")}],
            slack_api_url=fake_slack.api_url,
        )
    )
    report = await run_once(config, SlackSender(fake_slack.token, fake_slack.api_url))
    assert report.new_entries == 10 and len(fake_slack.posts) == 5  # 4 alerts + 1 reply
    assert sorted(news_site.served.values()) == [1] * 5  # each article fetched once


async def test_an_article_dated_9999_alerts_with_an_unknown_date(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    name = "002_e0f8f1b24ebca186.html"
    page = news_site.pages[name]
    start = page.index(b'article:published_time" content="') + len(
        b'article:published_time" content="'
    )
    end = page.index(b'"', start)
    news_site.pages = {"far.html": page[:start] + b"9999-12-31T23:59:59-05:00" + page[end:]}
    news_site.feeds["news"].items = ["far.html"]  # the feed's pubDate says 9999 too
    config = load_config(
        write_config(
            tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
        )
    )
    report = await run_once(config, SlackSender(fake_slack.token, fake_slack.api_url))
    assert report.feeds_failed == 0 and report.alerts_sent == 1
    db = open_database(tmp_path / "monitor.db")
    assert db.execute("SELECT published FROM entries").fetchone()[0] is None
    assert db.execute("SELECT published FROM articles").fetchone()[0] is None


async def test_polling_pauses_while_the_backlog_is_over_its_bound(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    config = load_config(
        write_config(
            tmp_path,
            [{"url": news_site.feed_url("news"), "interval": "1m"}],
            slack_api_url=fake_slack.api_url,
        )
    )
    config = config.model_copy(update={"runtime": config.runtime.model_copy(update={"backlog": 3})})
    clock = Clock()
    async with runtime_for(config, clock) as runtime:
        poller = Poller(runtime)
        (first,) = await poller.tick()
        assert (await first).new_entries == 5  # nothing waited yet: polled
        clock.at += timedelta(hours=2)  # the feed is due again, but 5 entries wait
        assert await poller.tick() == []
        assert news_site.statuses("/feeds/news.xml") == [200]
        await drain(runtime)  # the processors catch up
        assert len(await poller.tick()) == 1  # and polling resumes
