"""Crash safety: SIGKILL the daemon at random moments over a burst of 100 alerts, restart it
each time; at the end every alert is delivered, none twice."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import start_daemon, write_config
from tests.servers import FakeSlack, FeedSpec, NewsSite

ALERTS = 100
KILLS = 5


def _page(i: int) -> bytes:
    body = " ".join(
        f"Paragraph {k} of report {i}: the NATO ministers discussed item {i}-{k} at length."
        for k in range(3)
    )
    return (
        f"<html><head><title>Report {i}</title></head><body><article><h1>Report {i}</h1>"
        f"<p>{body}</p><p>{body}</p></article></body></html>"
    ).encode()


def _start(config: Path) -> subprocess.Popen[str]:
    return start_daemon(config, stdout=subprocess.DEVNULL)


def test_sigkill_at_random_moments_loses_and_doubles_nothing(
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
    fake_slack.latency = 0.05  # so that kills land while messages are in flight
    rng = random.Random(2026)

    progress = []
    for _ in range(KILLS):
        proc = _start(config)
        time.sleep(rng.uniform(0.6, 1.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
        progress.append(len(fake_slack.alert_ids()))
    killed_at = progress[-1]

    proc = _start(config)
    deadline = time.monotonic() + 60
    while len(set(fake_slack.alert_ids())) < ALERTS and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # anything still to come (a duplicate) has time to arrive
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)

    ids = fake_slack.alert_ids()
    delivered, duplicated = len(set(ids)), len(ids) - len(set(ids))
    print(
        f"kill test: {KILLS} kills, posts after each kill {progress}; "
        f"delivered {delivered}/{ALERTS}, lost {ALERTS - delivered}, duplicated {duplicated}"
    )
    assert proc.returncode == 0, stderr
    assert 0 < killed_at < ALERTS  # the kills did land in the middle of the burst
    assert delivered == ALERTS and duplicated == 0
