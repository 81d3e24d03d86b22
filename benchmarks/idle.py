"""The CPU a daemon spends watching feeds when nothing new arrives, against a naive poller
watching the same feeds on the same schedule, in the same run.

Usage:
    python benchmarks/idle.py PATH/TO/article-extraction-benchmark [--feeds 500]
        [--interval 60] [--window 120]

The page server of pipeline.py (its own process) serves --feeds feeds of one article each,
with ETags. `monitor run` (a process of its own, one worker, its web pages and /metrics on)
polls them every --interval seconds; once the first articles are processed and alerted, its
CPU (process and workers) is measured over --window seconds of steady polling. The baseline
polls the same feeds on the same schedule with feedparser, one after the other, in one
process (no ETags, no database).
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml
from pipeline import RULE, TOKEN, TreeMeter, feed_urls, start_server


def _monitor(base: str, feeds: int, interval: int, folder: Path) -> subprocess.Popen[str]:
    (folder / "rules.yaml").write_text(RULE, encoding="utf-8")
    config = {
        "database": str(folder / "idle.db"),
        "rules": str(folder / "rules.yaml"),
        "workers": 1,
        "feeds": [
            {"url": url, "interval": f"{interval}s"}
            for url in feed_urls(base, "idle", feeds, feeds)
        ],
        "fetch": {"allow_private_addresses": True, "per_host_delay": 0, "per_host_concurrency": 16},
        "slack": {"channel": "#bench", "api_url": f"{base}/idle/api/", "pace": 0},
        "server": {"listen": f"127.0.0.1:{_free_port()}"},
    }
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(path)],
        env={**os.environ, "SLACK_BOT_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settled(db: Path, feeds: int) -> bool:
    try:
        with sqlite3.connect(db) as conn:
            (done,) = conn.execute("SELECT count(*) FROM entries WHERE status = 'done'").fetchone()
            (pending,) = conn.execute(
                "SELECT count(*) FROM outbox WHERE status = 'pending'"
            ).fetchone()
    except sqlite3.Error:
        return False
    return bool(done >= feeds and pending == 0)


def measure_monitor(base: str, args: argparse.Namespace) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="monitor-idle-"))
    proc = _monitor(base, args.feeds, args.interval, folder)
    try:
        deadline = time.monotonic() + 600
        while not _settled(folder / "idle.db", args.feeds):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("monitor did not settle (first poll and processing)")
            time.sleep(0.5)
        return _window(proc.pid, args.window)
    finally:
        proc.terminate()
        proc.wait(30)


def _window(pid: int, seconds: float) -> dict[str, float]:
    tree = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    before = sum(sum(p.cpu_times()[:2]) for p in tree)
    meter = TreeMeter(pid)
    time.sleep(seconds)  # the measurement window itself, not a synchronisation
    after = sum(sum(p.cpu_times()[:2]) for p in tree if p.is_running())
    rss = meter.stop()["peak_rss_mb"]
    cpu = after - before
    return {"cpu_seconds": cpu, "cpu_percent": 100 * cpu / seconds, "peak_rss_mb": rss}


def measure_baseline(base: str, args: argparse.Namespace) -> dict[str, float]:
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--naive",
            base,
            "--feeds",
            str(args.feeds),
            "--interval",
            str(args.interval),
        ],
    )
    try:
        time.sleep(min(5.0, args.interval))  # let it start its schedule (warm-up, not a sync)
        return _window(proc.pid, args.window)
    finally:
        proc.terminate()
        proc.wait(30)


def naive(base: str, feeds: int, interval: int) -> None:
    """Every feed once per interval, evenly spread, with feedparser."""
    import feedparser

    urls = feed_urls(base, "idle", feeds, feeds)
    gap = interval / len(urls)
    while True:
        for url in urls:
            started = time.monotonic()
            feedparser.parse(url)
            time.sleep(max(0.0, gap - (time.monotonic() - started)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", nargs="?", type=Path)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--interval", type=int, default=60, help="seconds between polls")
    parser.add_argument("--window", type=float, default=120, help="seconds measured")
    parser.add_argument("--naive", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive(args.naive, args.feeds, args.interval)
        return
    if args.data is None:
        parser.error("give the article-extraction-benchmark folder")
    server, base = start_server(args.data)
    try:
        ours = measure_monitor(base, args)
        theirs = measure_baseline(base, args)
    finally:
        server.terminate()
    polls = args.feeds * args.window / args.interval
    print(f"\n{args.feeds} feeds every {args.interval} s, {args.window:.0f} s measured")
    print(f"{'':10} {'CPU s':>7} {'CPU %':>7} {'ms/poll':>8} {'peak MB':>8}")
    for name, r in (("monitor", ours), ("baseline", theirs)):
        print(
            f"{name:10} {r['cpu_seconds']:7.2f} {r['cpu_percent']:7.2f} "
            f"{1000 * r['cpu_seconds'] / polls:8.2f} {r['peak_rss_mb']:8.0f}"
        )
    print(
        f"\nmonitor / baseline CPU: x{ours['cpu_seconds'] / max(theirs['cpu_seconds'], 1e-9):.2f}"
    )


if __name__ == "__main__":
    main()
