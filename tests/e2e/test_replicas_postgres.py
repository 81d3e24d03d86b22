"""Several replicas (`monitor run` subprocesses) on one PostgreSQL database: they share the
feeds, entries and deliveries through row locks and unique constraints only. Every feed is
polled once per interval, every alert is posted once, the seeds keep their four alerts and
one thread reply, and a replica killed mid-cycle loses its work to the others when its
leases expire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import psycopg
import yaml

from tests.conftest import start_daemon, write_config
from tests.integration.test_pipeline import KIRBY_002, KIRBY_003, _assert_four_alerts_one_reply
from tests.servers import SLACK_TOKEN, FakeSlack, FeedSpec, NewsSite
from tests.waiting import wait_for

FEEDS = 300
REPLICAS = 3
LEASE = "6s"


def _rows(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows, or none while the schema is still being created."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()
    except psycopg.errors.UndefinedTable:
        return []


def _config(
    tmp_path: Path,
    feeds: list[dict[str, Any]],
    slack: FakeSlack,
    url: str,
    rules: Path | None = None,
) -> Path:
    path = write_config(tmp_path, feeds, slack_api_url=slack.api_url, database=url, rules=rules)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["workers"] = 1
    config["runtime"] = {"lease": LEASE}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr


def test_three_replicas_poll_each_feed_once_and_alert_each_statement_once(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, pg_url: str
) -> None:
    seeds = sorted(news_site.pages)
    news_site.feeds = {f"f{i:03d}": FeedSpec(items=[], title=f"Outlet {i}") for i in range(FEEDS)}
    for k, seed in enumerate(seeds):  # each seed at two outlets far apart in the list
        for i in (k * 60, k * 60 + 31):
            news_site.feeds[f"f{i:03d}"].items = [seed]
    feeds = [{"url": news_site.feed_url(name), "interval": "1h"} for name in news_site.feeds]
    config = _config(tmp_path, feeds, fake_slack, pg_url)
    procs = [start_daemon(config, stdout=subprocess.DEVNULL) for _ in range(REPLICAS)]
    try:
        paths = [f"/feeds/{name}.xml" for name in news_site.feeds]
        assert wait_for(lambda: all(news_site.statuses(p) for p in paths), 90), "not polled"
        assert wait_for(lambda: len(fake_slack.posts) >= 5, 90), "the seed alerts never came"
        assert wait_for(
            lambda: (
                _rows(pg_url, "SELECT count(*) FROM entries WHERE status != 'done'") == [(0,)]
                and _rows(pg_url, "SELECT count(*) FROM outbox WHERE status != 'sent'") == [(0,)]
            ),
            90,
        )
        status = subprocess.run(
            [sys.executable, "-m", "monitor", "status", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "SLACK_BOT_TOKEN": SLACK_TOKEN},
        )
    finally:
        _stop(procs)

    assert [len(news_site.statuses(p)) for p in paths] == [1] * FEEDS  # once per interval
    _assert_four_alerts_one_reply(fake_slack, news_site, reply_page=(KIRBY_002, KIRBY_003))
    ids = fake_slack.alert_ids()
    assert len(ids) == len(set(ids)) == 5  # every alert once
    assert status.returncode == 0, status.stderr
    live = [line for line in status.stdout.splitlines() if line.startswith("replica ")]
    assert len(live) == REPLICAS and all("heartbeat" in line for line in live)
    (stories,) = _rows(pg_url, "SELECT count(*) FROM stories")
    assert stories == (4,)


def _report(i: int) -> bytes:
    body = f"Report {i}: the NATO ministers met on item {i} and agreed on the next steps. " * 6
    return (
        f"<html><head><title>Report {i}</title></head><body><article><h1>Report {i}</h1>"
        f"<p>{body}</p><p>{body}</p></article></body></html>"
    ).encode()


def _victim(config: Path) -> subprocess.Popen[str]:
    """A replica on a host of its own (its own UTS namespace): the others cannot see that
    its process died, so its work comes back only when its leases expire, as across
    machines."""
    env = {**os.environ, "SLACK_BOT_TOKEN": SLACK_TOKEN}
    env.pop("MONITOR_CONFIG", None)
    command = f'hostname victim-host && exec "{sys.executable}" -m monitor run --config "{config}"'
    return subprocess.Popen(
        ["unshare", "--uts", "sh", "-c", command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _held(url: str, table: str) -> list[int]:
    rows = _rows(url, f"SELECT id FROM {table} WHERE claimed_by LIKE 'victim-host:%%'")
    return sorted(int(r[0]) for r in rows)


def test_a_replica_killed_mid_cycle_loses_its_feeds_and_entries_to_the_others(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack, pg_url: str
) -> None:
    count = 60
    news_site.pages = {f"r{i:03d}.html": _report(i) for i in range(count)}
    names = sorted(news_site.pages)
    news_site.feeds = {f"open{i:02d}": FeedSpec(items=[names[i]]) for i in range(30)}
    news_site.feeds.update({f"gated{i:02d}": FeedSpec(items=[names[30 + i]]) for i in range(30)})
    news_site.article_gate = threading.Event()  # processing waits: entries stay claimed
    news_site.feed_gate = threading.Event()  # polls of gated feeds wait: feeds stay claimed
    news_site.gated_feeds = {n for n in news_site.feeds if n.startswith("gated")}
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: NATO\n    query: NATO\n", encoding="utf-8")
    feeds = [{"url": news_site.feed_url(name), "interval": "1h"} for name in news_site.feeds]
    config = _config(tmp_path, feeds, fake_slack, pg_url, rules)
    victim = _victim(config)
    others = [start_daemon(config, stdout=subprocess.DEVNULL) for _ in range(REPLICAS - 1)]
    try:
        holds = lambda: bool(_held(pg_url, "feeds")) and bool(_held(pg_url, "entries"))  # noqa: E731
        assert wait_for(holds, 90), "the victim never held both feeds and entries"
        held_feeds, held_entries = _held(pg_url, "feeds"), _held(pg_url, "entries")
        victim.send_signal(signal.SIGKILL)  # mid-cycle: polls and fetches in flight
        victim.wait(10)
        news_site.feed_gate.set()
        news_site.article_gate.set()
        assert wait_for(lambda: len(set(fake_slack.alert_ids())) >= count, timeout=120)
        assert wait_for(
            lambda: _rows(pg_url, "SELECT count(*) FROM entries WHERE status != 'done'") == [(0,)],
            90,
        )
    finally:
        news_site.feed_gate.set()
        news_site.article_gate.set()
        if victim.poll() is None:
            victim.kill()
        victim.communicate(timeout=10)
        _stop(others)

    ids = fake_slack.alert_ids()
    assert len(ids) == count and len(set(ids)) == count  # nothing lost, nothing doubled
    polled = _rows(
        pg_url,
        "SELECT count(*) FROM feeds WHERE id = ANY(%s) AND last_success_at IS NOT NULL",
        (held_feeds,),
    )
    assert polled == [(len(held_feeds),)]  # the victim's feeds were polled by the others
    finished = _rows(
        pg_url,
        "SELECT processed_by FROM entries WHERE id = ANY(%s) AND status = 'done'",
        (held_entries,),
    )
    assert len(finished) == len(held_entries)
    assert not [r for r in finished if str(r[0]).startswith("victim-host:")]
