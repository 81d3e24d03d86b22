"""The daemon as a subprocess serving /healthz and /metrics (server.listen): healthy while
its stages run, counters that move with the work, 503 with the reason when the database
stops taking writes (a PostgreSQL database switched to read-only, as after a failover to a
replica), healthy again when it takes them; its log lines are JSON with --log-format json."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import yaml

from tests.conftest import write_config
from tests.postgres import ADMIN_URL
from tests.servers import SLACK_TOKEN, FakeSlack, NewsSite
from tests.waiting import free_port, wait_for


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def test_healthz_and_metrics_follow_the_daemon(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, pg_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "interval": "1h"}],
        slack_api_url=fake_slack.api_url,
        database=pg_url,
    )
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["server"] = {"listen": f"127.0.0.1:{port}"}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    news_site.article_gate = threading.Event()  # no article until the first scrape
    name = pg_url.rsplit("/", 1)[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config), "--log-format", "json"],
        env={**os.environ, "SLACK_BOT_TOKEN": SLACK_TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: _get(f"{base}/healthz")[0] == 200), "never healthy"
        before = _get(f"{base}/metrics")[1]
        assert _metric(before, "monitor_articles_extracted_total") == 0
        news_site.article_gate.set()
        assert wait_for(lambda: len(fake_slack.posts) == 5)
        # the deliverer counts a channel's posts when its turn at the channel ends
        assert wait_for(
            lambda: _metric(_get(f"{base}/metrics")[1], "monitor_alerts_sent_total") == 5
        )
        after = _get(f"{base}/metrics")[1]
        assert _metric(after, "monitor_articles_extracted_total") == 5
        assert _metric(after, "monitor_statements_found_total") > 5
        assert _metric(after, 'monitor_polls_total{outcome="ok"}') >= 1
        assert _metric(after, "monitor_alerts_sent_total") == 5
        assert _metric(after, "monitor_fetch_seconds_count") == 5
        assert _metric(after, "monitor_processing_seconds_count") == 5

        _admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        assert wait_for(lambda: "read-only" in _get(f"{base}/healthz")[1]), "still healthy"
        status, reason = _get(f"{base}/healthz")
        assert status == 503 and "database" in reason and "refuses writes" in reason, reason

        _admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        assert wait_for(lambda: _get(f"{base}/healthz")[0] == 200), "did not recover"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any("web pages" in r["message"] for r in records)
