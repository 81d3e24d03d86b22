"""The whole pipeline under load, against a naive one-process baseline, in the same run.

Usage:
    python benchmarks/pipeline.py PATH/TO/article-extraction-benchmark [--articles 2000]
        [--feeds 200] [--long 20000] [--json out.json]
    python benchmarks/pipeline.py PATH/TO/article-extraction-benchmark \
        --database postgresql://postgres@127.0.0.1/postgres [--replica-workers 1]

With --database (a PostgreSQL server's URL; each run creates a database of its own there
and drops it afterwards), the runs compare the backends instead: SQLite with 1 and with 2
daemons on one file, PostgreSQL with 1 and 2 replicas, each daemon with the same
--replica-workers workers, interleaved in the same run; it prints each one's articles per
second and the ratios PostgreSQL / SQLite and 2 replicas / 1.

The 181 real pages of the extraction benchmark are served from loopback by a server in its
own process, cycled to --articles articles over --feeds RSS feeds; the same process plays
Slack (chat.postMessage and the reads monitor needs) and counts every alert it receives.

- monitor, with `workers: 1` and `workers: 2`, each in a process of its own: the real
  daemon (poller, processors with their worker pool, writer, deliverer), from the first poll
  until every entry is done and every alert posted. Feeds are polled every few seconds
  while the backlog is processed, so the poll lag (how late polls start behind their
  schedule) is measured under load. CPU seconds and peak RSS are those of the process and
  all its workers.
- the baseline, in a process of its own: feedparser for the feeds, urllib for the pages,
  trafilatura.extract and a keyword regex, one article after the other.
- --long N: one more monitor run over N articles, to check that no worker crashes natively
  and that no alert is lost or posted twice.

Each configuration runs --repeat times (default 3), interleaved, and its best round counts:
on a shared machine other load only ever slows a run down.

Targets (2 cores): workers 2 >= 1.7x workers 1; monitor (workers 2) >= 0.8x the baseline;
p95 poll lag < 5 s; each alert posted within 2 s of its article being processed; peak RSS
< 400 MB; no lost or doubled alert.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

KEYWORDS = r"\b(government|president|minister)\b"
RULE = "rules:\n  - name: Officials\n    query: government OR president OR minister\n"
TOKEN = "xoxb-benchmark-token"
FEED_INTERVAL = "30s"  # polled again and again while the backlog is processed


# --- the server: pages, feeds and a fake Slack, in a process of its own ---------------------


def serve(data: Path, port_file: Path) -> None:
    """Feeds `/{run}/feeds/{first}-{count}.xml` list articles first .. first + count - 1;
    article j is page j modulo the number of pages."""
    from aiohttp import web

    pages = [gzip.decompress(p.read_bytes()) for p in sorted((data / "html").glob("*.html.gz"))]
    posts: dict[str, list[int]] = {}
    channels: dict[str, str] = {}

    def rss(run: str, first: int, count: int, base: str) -> bytes:
        items = "".join(
            f"<item><title>Article {j}</title><link>{base}/{run}/a/{j}.html</link>"
            f"<guid>{run}-{j}</guid></item>"
            for j in range(first, first + count)
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {first}</title>'
            f"{items}</channel></rss>"
        ).encode()

    async def feed(request: web.Request) -> web.Response:
        first, count = (int(n) for n in request.match_info["range"].split("-"))
        body = rss(request.match_info["run"], first, count, f"http://{request.host}")
        etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def article(request: web.Request) -> web.Response:
        body = pages[int(request.match_info["n"]) % len(pages)]
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def post(request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            form = await request.json()
            metadata = form.get("metadata") or {}
        else:
            form = dict(await request.post())
            metadata = json.loads(str(form.get("metadata") or "{}"))
        alert = (metadata.get("event_payload") or {}).get("alert_id")
        posts.setdefault(request.match_info["run"], []).append(int(alert or 0))
        channel = channels.setdefault(str(form.get("channel")), f"C{len(channels) + 1:08d}")
        ts = f"{time.time():.6f}"
        return web.json_response({"ok": True, "channel": channel, "ts": ts})

    async def ok(_: web.Request) -> web.Response:
        return web.json_response(
            {"ok": True, "messages": [], "channels": [], "user_id": "U1"},
            headers={
                "x-oauth-scopes": "chat:write,channels:read,groups:read,"
                "channels:history,groups:history"
            },
        )

    async def stats(request: web.Request) -> web.Response:
        ids = posts.get(request.match_info["run"], [])
        return web.json_response({"posts": len(ids), "unique": len(set(ids))})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{run}/feeds/{range}.xml", feed)
        app.router.add_get("/{run}/a/{n}.html", article)
        app.router.add_post("/{run}/api/chat.postMessage", post)
        app.router.add_route("*", "/{run}/api/{method}", ok)
        app.router.add_get("/{run}/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port_file.write_text(str(runner.addresses[0][1]))
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the clients -------------------------------------------------------------------------


def feed_urls(base: str, run: str, feeds: int, articles: int) -> list[str]:
    """`articles` spread over `feeds` feeds, as evenly as they go."""
    per = -(-articles // feeds)
    return [
        f"{base}/{run}/feeds/{first}-{min(per, articles - first)}.xml"
        for first in range(0, articles, per)
    ]


def client_monitor(
    base: str, run: str, feeds: int, articles: int, workers: int, database: str | None = None
) -> dict[str, Any]:
    from monitor.alerts import SlackSender
    from monitor.config import Config, FeedConfig, FetchConfig, SlackConfig, is_server_url
    from monitor.runtime import Daemon
    from monitor.runtime.context import open_runtime

    folder = Path(tempfile.mkdtemp(prefix="monitor-bench-"))
    (folder / "rules.yaml").write_text(RULE, encoding="utf-8")
    where: Path | str = folder / "bench.db"
    if database:
        where = database if is_server_url(database) else Path(database)
    config = Config(
        database=where,
        rules=folder / "rules.yaml",
        workers=workers,
        feeds=[
            FeedConfig(url=url, interval=FEED_INTERVAL)
            for url in feed_urls(base, run, feeds, articles)
        ],
        fetch=FetchConfig(
            allow_private_addresses=True,
            concurrency=16,
            per_host_concurrency=16,
            per_host_delay=0,
        ),
        slack=SlackConfig(channel="#bench", api_url=f"{base}/{run}/api/", pace=0),
    )

    async def go() -> dict[str, Any]:
        sender = SlackSender(TOKEN, config.slack.api_url)
        async with open_runtime(config, sender) as runtime:
            daemon = Daemon(runtime)
            started = time.monotonic()
            task = asyncio.get_running_loop().create_task(daemon.run(handle_signals=False))
            while True:
                counts = await runtime.store.entry_counts()
                pending = (await runtime.store.outbox_counts())["pending"]
                if counts["done"] + counts["quarantined"] >= articles and pending == 0:
                    break
                await asyncio.sleep(0.1)
            wall = time.monotonic() - started
            daemon.stop()
            await task
            stats = runtime.stats
            lag = sorted(stats.poll_lag) or [0.0]
            sent = sorted(stats.send_lag) or [0.0]
            return {
                "wall": wall,
                "articles": articles,
                "per_second": articles / wall,
                "quarantined": counts["quarantined"],
                "alerts_queued": stats.alerts_queued,
                "alerts_sent": stats.alerts_sent,
                "poll_lag_p95": lag[int(len(lag) * 0.95)],
                "polls": len(stats.poll_lag),
                "send_lag_p95": sent[int(len(sent) * 0.95)],
                "send_lag_max": sent[-1],
                "workers_replaced": runtime.pool.replaced,
            }

    return asyncio.run(go())


def client_naive(base: str, run: str, feeds: int, articles: int, workers: int) -> dict[str, Any]:
    """feedparser, urllib, trafilatura and a regex, one article after the other."""
    import urllib.request

    import feedparser
    import trafilatura

    keyword = re.compile(KEYWORDS, re.I)
    started = time.monotonic()
    done = hits = 0
    for url in feed_urls(base, run, feeds, articles):
        parsed = feedparser.parse(url)
        for entry in parsed.entries:
            with urllib.request.urlopen(entry.link) as response:
                html = response.read()
            text = trafilatura.extract(html, include_comments=False) or ""
            hits += keyword.search(text) is not None
            done += 1
    wall = time.monotonic() - started
    return {"wall": wall, "articles": done, "per_second": done / wall, "alerts": hits}


# --- the driver ----------------------------------------------------------------------------


class TreeMeter:
    """Peak RSS (summed over a process and its descendants) and their CPU seconds."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = max(self.cpu.get(proc.pid, 0.0), times.user + times.system)
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(0.1)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {
            "peak_rss_mb": self.peak / 1e6,
            "cpu_seconds": sum(self.cpu.values()),
            "cpu_main": self.cpu.get(self.root.pid, 0.0),
        }


def run_client(
    kind: str,
    base: str,
    run: str,
    feeds: int,
    articles: int,
    workers: int,
    *,
    replicas: int = 1,
    database: str | None = None,
) -> dict[str, Any]:
    """One client process, or `replicas` daemons at once on one database: then the run
    lasts until the last one sees every entry done and every alert posted."""
    command = [
        sys.executable,
        __file__,
        "--client",
        kind,
        "--base",
        base,
        "--run",
        run,
        "--feeds",
        str(feeds),
        "--articles",
        str(articles),
        "--workers",
        str(workers),
        *(["--database", database] if database else []),
    ]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(replicas)
    ]
    meters = [TreeMeter(proc.pid) for proc in procs]
    results = []
    for proc, meter in zip(procs, meters, strict=True):
        out, err = proc.communicate()
        measured = meter.stop()
        if proc.returncode != 0:
            raise SystemExit(f"{kind} client failed (exit {proc.returncode}):\n{err[-3000:]}")
        results.append({**json.loads(out.strip().splitlines()[-1]), **measured})
    return _combined(results)


def _combined(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Replicas of one run as one: the longest wall time, summed work and memory."""
    if len(results) == 1:
        return results[0]
    wall = max(r["wall"] for r in results)
    combined = {**results[0], "wall": wall, "per_second": results[0]["articles"] / wall}
    for key in ("alerts_sent", "alerts_queued", "polls", "workers_replaced"):
        combined[key] = sum(r[key] for r in results)
    for key in ("peak_rss_mb", "cpu_seconds", "cpu_main"):
        combined[key] = sum(r[key] for r in results)
    for key in ("poll_lag_p95", "send_lag_p95", "send_lag_max", "quarantined"):
        combined[key] = max(r[key] for r in results)
    return combined


def server_stats(base: str, run: str) -> dict[str, int]:
    import urllib.request

    with urllib.request.urlopen(f"{base}/{run}/stats") as response:
        return dict(json.loads(response.read()))


def start_server(data: Path) -> tuple[subprocess.Popen[str], str]:
    port_file = Path(tempfile.mkdtemp()) / "port"
    proc = subprocess.Popen(
        [sys.executable, __file__, str(data), "--serve", str(port_file)], text=True
    )
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit("the page server did not start")
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port_file.read_text()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", nargs="?", type=Path, help="article-extraction-benchmark folder")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--long", type=int, default=0, help="also run N articles once")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument(
        "--database", help="compare SQLite with this PostgreSQL server (postgresql://...)"
    )
    parser.add_argument(
        "--replica-workers", type=int, default=1, help="workers of each daemon (--database)"
    )
    args = parser.parse_args()

    if args.serve:
        serve(args.data, args.serve)
        return
    if args.client:
        if args.client == "monitor":
            found = client_monitor(
                args.base, args.run, args.feeds, args.articles, args.workers, args.database
            )
        else:
            found = client_naive(args.base, args.run, args.feeds, args.articles, args.workers)
        print(json.dumps(found))
        return
    if args.data is None or not (args.data / "html").is_dir():
        parser.error("give the article-extraction-benchmark folder (with html/*.html.gz)")

    server, base = start_server(args.data)
    try:
        if args.database:
            from backends import measure_backends, report_backends

            figures = measure_backends(base, psutil.Process(server.pid), args)
            report_backends(figures, args)
            return
        results = measure(base, psutil.Process(server.pid), args)
    finally:
        server.terminate()
    report(results, args)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def measure(
    base: str, server: psutil.Process, args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """Each client in turn, --repeat rounds, interleaved; for each the best round is kept
    (the machine's other load only ever slows a run down). The server's CPU time during a
    run is reported beside it: it shares the machine's cores with the client."""
    runs = [("baseline", "naive", 1), ("workers_1", "monitor", 1), ("workers_2", "monitor", 2)]
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in runs}
    for turn in range(args.repeat):
        for name, kind, workers in runs:
            run = f"{name}-{turn}"
            before = _cpu(server)
            result = run_client(kind, base, run, args.feeds, args.articles, workers)
            result["server_cpu_seconds"] = _cpu(server) - before
            result.update(server_stats(base, run))
            rounds[name].append(result)
            print(f"{run}: {result['per_second']:.1f} articles/s", file=sys.stderr)
    results = {}
    for name, found in rounds.items():
        best = max(found, key=lambda r: float(r["per_second"]))
        results[name] = {**best, "all_per_second": [round(r["per_second"], 1) for r in found]}
        results[name]["lost_or_doubled"] = sum(
            r["unique"] != r["posts"] or r["posts"] != r.get("alerts_sent", r["posts"])
            for r in found
        )
    if args.long:
        feeds = max(args.feeds, args.long // 10)
        before = _cpu(server)
        results["long"] = run_client("monitor", base, "long", feeds, args.long, 2)
        results["long"]["server_cpu_seconds"] = _cpu(server) - before
        results["long"].update(server_stats(base, "long"))
        results["long"]["lost_or_doubled"] = int(
            results["long"]["unique"] != results["long"]["posts"]
            or results["long"]["posts"] != results["long"]["alerts_sent"]
        )
    return results


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    base, one, two = results["baseline"], results["workers_1"], results["workers_2"]
    scaling = two["per_second"] / one["per_second"]
    versus = two["per_second"] / base["per_second"]
    lag = max(one["poll_lag_p95"], two["poll_lag_p95"])
    send = max(one["send_lag_max"], two["send_lag_max"])
    rss = max(one["peak_rss_mb"], two["peak_rss_mb"])
    checks = {
        "workers 2 / workers 1 >= 1.7": scaling >= 1.7,
        "monitor / baseline >= 0.8": versus >= 0.8,
        "p95 poll lag < 5 s": lag < 5,
        "every alert posted within 2 s": send < 2,
        "peak RSS < 400 MB": rss < 400,
        "no alert lost or doubled": one["lost_or_doubled"] == two["lost_or_doubled"] == 0,
    }
    if "long" in results:
        long = results["long"]
        checks[f"{args.long} articles: none lost or doubled, no worker lost"] = (
            long["lost_or_doubled"] == 0
            and long["workers_replaced"] == 0
            and long["quarantined"] == 0
        )
    print(f"\n{args.articles} articles over {args.feeds} feeds, {os.cpu_count()} cores")
    print(
        f"{'':12} {'art/s':>7} {'wall s':>7} {'CPU s':>6} {'main':>5} {'server':>6} "
        f"{'peak MB':>7} {'lag p95':>7} {'send max':>8} {'alerts':>6}"
    )
    for name, r in results.items():
        print(
            f"{name:12} {r['per_second']:7.1f} {r['wall']:7.1f} {r['cpu_seconds']:6.1f} "
            f"{r['cpu_main']:5.1f} {r.get('server_cpu_seconds', 0):6.1f} "
            f"{r['peak_rss_mb']:7.0f} {r.get('poll_lag_p95', 0):7.2f} "
            f"{r.get('send_lag_max', 0):8.2f} {r.get('alerts_sent', r.get('alerts', 0)):6}"
        )
    for name, r in results.items():
        if "all_per_second" in r:
            print(f"  {name} rounds (articles/s): {r['all_per_second']}")
    print(f"\nworkers 2 / workers 1: x{scaling:.2f}; workers 2 / baseline: x{versus:.2f}")
    for check, held in checks.items():
        print(f"  {'met ' if held else 'MISSED'} {check}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "checks": checks}, indent=2))


if __name__ == "__main__":
    main()
