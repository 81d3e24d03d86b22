"""`monitor run` as a daemon: polls on schedule, delivers, stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from monitor.storage import open_database
from tests.conftest import start_daemon, write_config
from tests.servers import FakeSlack, NewsSite


def _wait_for(condition, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_daemon_delivers_then_stops_cleanly(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, stop_signal: signal.Signals
) -> None:
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "interval": "1h"}],
        slack_api_url=fake_slack.api_url,
    )
    proc = start_daemon(path)
    try:
        assert _wait_for(lambda: len(fake_slack.posts) == 5), "daemon did not deliver"
        proc.send_signal(stop_signal)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "stopping: finishing in-flight work" in stderr and "stopped" in stderr
    assert news_site.statuses("/feeds/news.xml") == [200]  # next poll is an hour away

    db = open_database(tmp_path / "monitor.db")
    (next_poll,) = db.execute("SELECT next_poll_at FROM feeds").fetchone()
    (sent,) = db.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()
    assert sent == 5
    assert next_poll > db.execute("SELECT max(first_seen_at) FROM entries").fetchone()[0]


def test_sighup_reloads_rules_and_a_broken_edit_is_reported(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    rule_file = rules_dir / "nato.yaml"
    rule_file.write_text("rules:\n  - name: NATO\n    query: Ukraine AND NATO\n", encoding="utf-8")
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "interval": "1h"}],
        slack_api_url=fake_slack.api_url,
        rules=rules_dir,
    )
    proc = start_daemon(path)
    try:
        assert _wait_for(lambda: len(fake_slack.posts) == 5), "daemon did not deliver"
        rule_file.write_text("rules:\n  - name: NATO\n    query: NATO AND\n", encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        assert proc.poll() is None  # still running
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "rule file not loaded" in stderr and "the query ends where a term" in stderr
    assert "keeps running" in stderr
