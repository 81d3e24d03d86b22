"""Hot reload: a broken edit keeps the last good rules running and is reported; a removed
file stops matching; the ops channel hears about it."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from monitor.alerts import SlackSender
from monitor.config import load_config
from monitor.runtime.once import drain
from monitor.runtime.poller import Poller
from tests.conftest import runtime_for, write_config
from tests.servers import FakeSlack, NewsSite

GOOD = "rules:\n  - name: NATO watch\n    query: Ukraine AND NATO\n"
BROKEN = "rules:\n  - name: NATO watch\n    query: Ukraine AND (NATO\n"


def _bump(path: Path, text: str) -> None:
    """Write and move the mtime on, so the change is seen even within one clock tick."""
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


async def test_broken_edit_keeps_the_old_rule_and_removal_stops_it(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    rule_file = rules_dir / "nato.yaml"
    _bump(rule_file, GOOD)
    names = sorted(news_site.pages)
    news_site.feeds["news"].items = names[:1]
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "interval": "1s"}],
        slack_api_url=fake_slack.api_url,
        rules=rules_dir,
    )
    config = load_config(path)
    config = config.model_copy(
        update={"slack": config.slack.model_copy(update={"ops_channel": "#ops"})}
    )
    sender = SlackSender(fake_slack.token, fake_slack.api_url)
    clock = {"now": 0}

    from datetime import UTC, datetime, timedelta

    def now() -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=clock["now"])

    async with runtime_for(config, now, sender) as runtime:

        async def tick() -> None:
            runtime.reload_rules()
            await asyncio.gather(*await Poller(runtime).tick())
            await drain(runtime)

        await tick()
        assert len(fake_slack.posts) == 1

        _bump(rule_file, BROKEN)
        news_site.feeds["news"].items = names[:2]
        clock["now"] += 10
        with caplog.at_level(logging.ERROR):
            await tick()
        await runtime.ops.flush()  # the ops message is sent in the background
        assert "nato.yaml:3:24: rules.0.query: '(' is never closed" in caplog.text
        assert "keeps running" in caplog.text
        article_posts = [p for p in fake_slack.posts if p["channel"] == "#news-alerts"]
        ops_posts = [p for p in fake_slack.posts if p["channel"] == "#ops"]
        assert len(article_posts) == 2  # the old rule still matched the new article
        assert ops_posts and "never closed" in ops_posts[0]["text"]

        rule_file.unlink()
        news_site.feeds["news"].items = names[:3]
        clock["now"] += 10
        await tick()
        assert len(runtime.rules.ruleset) == 0
        assert len([p for p in fake_slack.posts if p["channel"] == "#news-alerts"]) == 2
