"""Crash safety: SIGKILL the daemon five times during a burst of 100 alerts, each kill once
a given number of posts has been seen (so it lands mid-delivery), restart it each time; at
the end every alert is delivered, none twice."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import start_daemon, write_config
from tests.servers import FakeSlack, FeedSpec, NewsSite

ALERTS = 100
KILL_AFTER_POSTS = [5, 25, 45, 65, 85]


def _page(i: int) -> bytes:
    body = " ".join(
        f"Paragraph {k} of report {i}: the NATO ministers discussed item {i}-{k} at length."
        for k in range(3)
    )
    return (
        f"<html><head><title>Report {i}</title></head><body><article><h1>Report {i}</h1>"
        f"<p>{body}</p><p>{body}</p></article></body></html>"
    ).encode()


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll an observable condition (not a sleep that hopes for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_sigkill_mid_delivery_loses_and_doubles_nothing(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.pages = {f"r{i:03d}.html": _page(i) for i in range(ALERTS)}
    news_site.feeds["burst"] = FeedSpec(items=sorted(news_site.pages), title="Burst")
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: NATO\n    query: NATO\n", encoding="utf-8")
    config = write_config(
        tmp_path,
        [{"url": news_site.feed_url("burst"), "interval": "1h"}],
        slack_api_url=fake_slack.api_url,
        rules=rules,
    )
    fake_slack.latency = 0.05  # each post takes a while: kills land while one is in flight

    progress = []
    for threshold in KILL_AFTER_POSTS:
        proc = start_daemon(config, stdout=subprocess.DEVNULL)
        assert _wait_for(lambda t=threshold: len(fake_slack.posts) >= t), "no progress"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
        progress.append(len(fake_slack.alert_ids()))

    proc = start_daemon(config, stdout=subprocess.DEVNULL)
    assert _wait_for(lambda: len(set(fake_slack.alert_ids())) >= ALERTS, timeout=120)
    proc.send_signal(signal.SIGTERM)  # after a clean stop nothing more can be posted
    _, stderr = proc.communicate(timeout=30)

    ids = fake_slack.alert_ids()
    delivered, duplicated = len(set(ids)), len(ids) - len(set(ids))
    print(
        f"kill test: {len(KILL_AFTER_POSTS)} kills, posts after each kill {progress}; "
        f"delivered {delivered}/{ALERTS}, lost {ALERTS - delivered}, duplicated {duplicated}"
    )
    assert proc.returncode == 0, stderr
    assert progress[0] < ALERTS  # the kills did land in the middle of the burst
    assert delivered == ALERTS and duplicated == 0
