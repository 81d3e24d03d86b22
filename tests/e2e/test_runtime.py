"""The staged runtime as a user runs it (`monitor run` subprocesses): several daemons on one
database, a feed of 100,000 entries under --once, a database deleted or garbage, a worker
stuck on a hostile page while SIGTERM arrives."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from tests.conftest import poison, start_daemon, write_config
from tests.servers import SLACK_TOKEN, FakeSlack, FeedSpec, NewsSite, ServerThread

NATO_RULE = "rules:\n  - name: NATO\n    query: NATO\n"


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll an observable condition until it holds (not a sleep that hopes for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _report(i: int) -> bytes:
    body = f"Report {i}: the NATO ministers met on item {i} and agreed on the next steps. " * 6
    return (
        f"<html><head><title>Report {i}</title></head><body><article><h1>Report {i}</h1>"
        f"<p>{body}</p><p>{body}</p></article></body></html>"
    ).encode()


def _query(db: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows, or none while the database is still being created."""
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def _stop(procs: list[subprocess.Popen[str]]) -> list[str]:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    errors = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
        errors.append(stderr)
    return errors


@pytest.mark.parametrize("replicas", [2, 3])
def test_daemons_on_one_database_split_the_work_and_post_each_alert_once(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, replicas: int
) -> None:
    count = 60
    news_site.pages = {f"r{i:03d}.html": _report(i) for i in range(count)}
    news_site.feeds["burst"] = FeedSpec(items=[], title="Burst")  # empty until all are up
    news_site.article_gate = threading.Event()
    rules = tmp_path / "rules.yaml"
    rules.write_text(NATO_RULE, encoding="utf-8")
    config = write_config(
        tmp_path,
        [{"url": news_site.feed_url("burst"), "interval": "1s"}],
        slack_api_url=fake_slack.api_url,
        rules=rules,
    )
    db = tmp_path / "monitor.db"
    procs = [start_daemon(config, stdout=subprocess.DEVNULL) for _ in range(replicas)]
    try:
        assert _wait_for(
            lambda: (
                _query(db, "SELECT count(*) FROM replicas WHERE stopped_at IS NULL")
                == [(replicas,)]
            )
        ), "the daemons did not all start"
        news_site.feeds["burst"].items = sorted(news_site.pages)
        assert _wait_for(
            lambda: (
                len(
                    _query(
                        db,
                        "SELECT DISTINCT claimed_by FROM entries WHERE status = 'new' "
                        "AND claimed_by IS NOT NULL",
                    )
                )
                == replicas
            )
        ), "not every daemon took a share of the entries"
        news_site.article_gate.set()
        assert _wait_for(lambda: len(set(fake_slack.alert_ids())) >= count, timeout=90)
    finally:
        news_site.article_gate.set()
        _stop(procs)

    ids = fake_slack.alert_ids()
    assert len(ids) == count and len(set(ids)) == count  # every alert, none twice
    assert sorted(news_site.served.values()) == [1] * count  # every article fetched once
    workers = _query(db, "SELECT DISTINCT processed_by FROM entries WHERE status = 'done'")
    assert len(workers) == replicas  # the work was split between them


def test_once_processes_every_entry_of_a_feed_of_100000(tmp_path: Path) -> None:
    entries = 100_000

    async def feed(request: web.Request) -> web.Response:
        base = f"http://{request.host}"
        items = "".join(
            f"<item><title>Item {i}</title><link>{base}/articles/a{i}</link>"
            f"<guid>g{i}</guid></item>"
            for i in range(entries)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}'
        return web.Response(text=body + "</channel></rss>", content_type="application/rss+xml")

    async def robots(_: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nDisallow: /articles/\n")

    app = web.Application()
    app.router.add_get("/big.xml", feed)
    app.router.add_get("/robots.txt", robots)
    server = ServerThread(app).start()
    try:
        config = write_config(
            tmp_path, [{"url": f"{server.url}/big.xml"}], fetch={"max_body_bytes": 50_000_000}
        )
        run = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-2000:]
    rows = dict(_query(tmp_path / "monitor.db", "SELECT status, count(*) FROM entries GROUP BY 1"))
    assert rows == {"done": entries}  # all of them, not the first few hundred


def test_deleted_database_stops_the_daemon_with_a_clear_error(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    config = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "interval": "1h"}],
        slack_api_url=fake_slack.api_url,
    )
    proc = start_daemon(config)
    try:
        assert _wait_for(lambda: len(fake_slack.posts) == 5)
        (tmp_path / "monitor.db").unlink()
        _, stderr = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 1
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "deleted while monitor was running" in errors[0]
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    "command", [["run", "--once"], ["status"], ["alerts", "retry", "--failed"]]
)
def test_garbage_database_is_one_line_and_exit_1(tmp_path: Path, command: list[str]) -> None:
    config = write_config(tmp_path, [])
    (tmp_path / "monitor.db").write_bytes(b"PK\x03\x04 not a database at all " * 200)
    run = subprocess.run(
        [sys.executable, "-m", "monitor", *command, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    (line,) = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert "monitor.db: not a SQLite database" in line and "move the file away" in line


def _poison_setup(tmp_path: Path, news_site: NewsSite, deadline: str) -> Path:
    boilerplate = poison(tmp_path, news_site)
    config = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "interval": "1h"}],
        slack_api_url="",
    )
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["extraction"] = {"boilerplate": str(boilerplate)}
    data["runtime"] = {"item_deadline": deadline}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


def test_sigterm_stops_the_daemon_within_10s_while_a_worker_is_stuck(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    config = _poison_setup(tmp_path, news_site, deadline="10m")
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["slack"] = {"channel": "#news-alerts", "api_url": fake_slack.api_url, "pace": 0}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = start_daemon(config)
    try:
        assert _wait_for(lambda: news_site.served.get("poison.html") == 1)
        assert _wait_for(lambda: len(fake_slack.posts) == 5), "good articles still alert"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        took = time.monotonic() - started
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert took < 10, took
    assert "stopped" in stderr


def test_a_near_rule_over_groups_is_refused_by_rules_check_and_at_start(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: Summit\n    query: (Ukraine NATO) NEAR/3 summit\n", encoding="utf-8"
    )
    config = write_config(tmp_path, [], rules=rules)
    for command in (["rules", "check", str(rules)], ["run", "--once", "--config", str(config)]):
        run = subprocess.run(
            [sys.executable, "-m", "monitor", *command],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 1 and "Traceback" not in run.stderr
        (line,) = [x for x in run.stderr.splitlines() if x.startswith("Error:")]
        assert f"{rules}:3:" in line and "NEAR" in line


def test_a_chat_write_only_token_never_posts_an_alert_twice_after_a_crash(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.pages = {f"r{i}.html": _report(i) for i in range(5)}
    news_site.feeds["news"].items = sorted(news_site.pages)
    rules = tmp_path / "rules.yaml"
    rules.write_text(NATO_RULE, encoding="utf-8")
    config = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news"), "interval": "1h"}],
        slack_api_url=fake_slack.api_url,
        rules=rules,
    )
    fake_slack.scopes = {"chat:write"}  # what a minimal Slack app asks for
    fake_slack.fail_next(1, delay=60, post_anyway=True)  # posted; the answer never comes

    proc = start_daemon(config)
    assert _wait_for(lambda: len(fake_slack.posts) == 1)
    proc.send_signal(signal.SIGKILL)  # mid-send: the alert is in Slack, the row uncertain
    proc.communicate(timeout=10)
    (held,) = fake_slack.alert_ids()

    proc = start_daemon(config)
    try:
        assert _wait_for(lambda: len(fake_slack.posts) == 5)  # the other four flow
        assert _wait_for(lambda: f"unverified alert #{held}" in _status(config))
    finally:
        (stderr,) = _stop([proc])
    assert fake_slack.alert_ids().count(held) == 1  # never resent blindly
    assert "channels:history" in stderr  # the start-up warning names the missing scope
    assert "1 unverified" in _status(config)

    retry = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "alerts",
            "retry",
            "--force",
            str(held),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert retry.returncode == 0, retry.stderr
    proc = start_daemon(config)
    try:
        assert _wait_for(lambda: fake_slack.alert_ids().count(held) == 2)  # as the operator said
    finally:
        _stop([proc])


def _status(config: Path) -> str:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "status", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def _once(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SLACK_BOT_TOKEN": SLACK_TOKEN},
    )


def test_once_waits_out_a_retry_after_then_exits_0(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.feeds["news"].items = sorted(news_site.pages)[:1]
    config = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    fake_slack.fail_next(1, retry_after=2)
    started = time.monotonic()
    run = _once(config)
    assert run.returncode == 0, run.stderr  # drained: the alert went after the wait
    assert time.monotonic() - started >= 2 and len(fake_slack.alert_ids()) == 1


def test_once_exits_1_when_an_alert_failed_for_good(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    news_site.feeds["news"].items = sorted(news_site.pages)[:1]
    config = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    fake_slack.missing_channels = {"#news-alerts"}
    run = _once(config)
    assert run.returncode == 1, run.stderr
    assert "failed for good" in run.stderr and "channel_not_found" in run.stderr
