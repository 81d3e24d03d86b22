"""The web pages in a real browser (Debian's chromium, driven by Playwright; no browser
download), served by the daemon as a user runs it: the stories with their outlets, a story,
its article with the quote highlighted and the boilerplate the cleaning dropped, a search,
and a failed alert retried from the Outbox page until the fake Slack has it. Screenshots of
each page go to tests/artifacts/ (git-ignored) for review."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import REPO, write_config
from tests.servers import SLACK_TOKEN, FakeSlack, NewsSite
from tests.waiting import free_port, wait_for

ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "chromium is not installed: `apt install chromium` (Debian's package; .ci/run "
            "installs it)",
            pytrace=False,
        )
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_walk_through_the_pages(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, browser: Browser
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "interval": "1h"}],
        slack_api_url=fake_slack.api_url,
    )
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["server"] = {"listen": f"127.0.0.1:{port}"}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    fake_slack.fail_next(1, error="channel_not_found")  # the first alert fails for good
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        env={**os.environ, "SLACK_BOT_TOKEN": SLACK_TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: len(fake_slack.posts) >= 3), "the run did not deliver"
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        assert wait_for(lambda: _loads(page, f"{base}/stories"))

        # 1. the stories, each with its outlets
        expect(page.locator(".card.story")).to_have_count(4)
        expect(page.get_by_text("John Kirby").first).to_be_visible()
        _shot(page, "1-stories")

        # 2. the Kirby story reported by two outlets, then one of its articles
        kirby = page.locator(".card.story", has_text="John Kirby")
        for i in range(kirby.count()):
            kirby.nth(i).locator("a.speaker").click()
            if page.locator("table a[href^='/articles/']").count() == 2:
                break
            page.go_back()
        expect(page.locator("table a[href^='/articles/']")).to_have_count(2)
        _shot(page, "2-story")
        page.locator("table a[href^='/articles/']").first.click()

        # 3. the quote highlighted in the text, and the boilerplate the cleaning dropped
        expect(page.locator(".text .said").first).to_be_visible()
        expect(page.locator("ul.dropped li").first).to_be_visible()
        assert "Nothing was dropped" not in page.locator("ul.dropped").inner_text()
        _shot(page, "3-article")

        # 4. search finds the Blinken statement
        page.goto(f"{base}/articles")
        page.fill("input[name=q]", "bridge to membership")
        page.click("button:has-text('Search')")
        expect(page.locator(".hit", has_text="Blinken").first).to_be_visible()
        expect(page.locator(".hit mark").first).to_be_visible()
        _shot(page, "4-search")

        # 5. the failed alert, retried from the Outbox page, reaches Slack
        posted = len(fake_slack.posts)
        page.goto(f"{base}/outbox")
        expect(page.locator("tr.row-failed")).not_to_have_count(0)
        failed = page.locator("tr.row-failed").first
        expect(failed).to_contain_text("channel_not_found")
        _shot(page, "5-outbox")
        failed.locator("button:has-text('Retry')").click()
        assert wait_for(lambda: len(fake_slack.posts) > posted), "the retried alert never came"
        ids = fake_slack.alert_ids()
        assert len(ids) == len(set(ids))  # delivered once
        page.goto(f"{base}/outbox")
        wait_for(lambda: _loads(page, f"{base}/outbox") and "Nothing waiting" in page.content())
        _shot(page, "6-outbox-after")
        page.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr


def _loads(page: Page, url: str) -> bool:
    try:
        response = page.goto(url)
    except Exception:
        return False
    return response is not None and response.ok
