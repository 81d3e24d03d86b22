"""Polling benchmark: one poll cycle over 2,000 feeds, monitor against the `reader` library.

Usage:
    python benchmarks/polling.py [--feeds 2000] [--reader-python PATH] [--json out.json]

A feed server runs in its own process (aiohttp, loopback). Cycle 1: every feed is new, 20
entries each. Cycle 2: most feeds answer 304 to the validators from cycle 1, 10% have one new
entry, 2% fail with a 500. Each client runs in its own process, one after the other, against
the same server state: monitor (its real poller: fetch, parse, store entries) and reader
(`make_reader(db).update_feeds(scheduled=False, workers=16)`, the peer baseline; installed in
the interpreter given by --reader-python, default this one). Figures: feeds per second, CPU
seconds and peak RSS of each client, and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENTRIES = 20


def feed_body(index: int, phase: int) -> bytes:
    extra = 1 if phase == 2 and index % 10 == 0 else 0
    items = "".join(
        f"<item><title>Feed {index} story {n}</title>"
        f"<link>https://news{index % 50}.example/{index}/{n}</link><guid>{index}-{n}</guid>"
        f"<pubDate>Mon, 17 Jun 2024 {n % 24:02d}:00:00 GMT</pubDate>"
        f"<description>Summary of story {n} of feed {index}, about NATO and Ukraine.</description>"
        "</item>"
        for n in range(ENTRIES + extra)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {index}</title>'
        f"<link>https://news{index}.example/</link>{items}</channel></rss>"
    ).encode()


def serve(port_file: Path) -> None:
    from aiohttp import web

    phase = {"n": 1}

    async def feed(request: web.Request) -> web.Response:
        index = int(request.match_info["i"])
        if phase["n"] == 2 and index % 50 == 7:
            return web.Response(status=500)
        body = feed_body(index, phase["n"])
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def set_phase(request: web.Request) -> web.Response:
        phase["n"] = int(request.match_info["n"])
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/f/{i}.xml", feed)
        app.router.add_post("/phase/{n}", set_phase)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_file.write_text(str(runner.addresses[0][1]))
        await asyncio.Event().wait()

    asyncio.run(main())


def client_monitor(base: str, feeds: int, db: Path) -> dict[str, float]:
    import io
    from datetime import UTC, datetime

    from monitor.alerts import ConsoleSender
    from monitor.config import Config, FeedConfig, FetchConfig
    from monitor.matching.rules import shipped_rules_dir
    from monitor.runtime.context import open_runtime
    from monitor.runtime.poller import Poller

    config = Config(
        database=db,
        rules=shipped_rules_dir(),
        feeds=[FeedConfig(url=f"{base}/f/{i}.xml") for i in range(feeds)],
        fetch=FetchConfig(
            allow_private_addresses=True, concurrency=16, per_host_concurrency=16, per_host_delay=0
        ),
    )

    async def cycle() -> tuple[float, int]:
        """The poll itself, timed like reader's update_feeds (its setup is not timed)."""
        sender = ConsoleSender(io.StringIO())
        async with open_runtime(config, sender, lambda: datetime.now(UTC)) as runtime:
            started = time.perf_counter()
            outcomes = await Poller(runtime).poll_all()
            return time.perf_counter() - started, sum(o.error is not None for o in outcomes)

    seconds, failed = asyncio.run(cycle())
    return {"seconds": seconds, "failed": failed}


def client_reader(base: str, feeds: int, db: Path) -> dict[str, float]:
    from reader import make_reader

    reader = make_reader(str(db))
    existing = {f.url for f in reader.get_feeds()}
    for i in range(feeds):
        url = f"{base}/f/{i}.xml"
        if url not in existing:
            reader.add_feed(url)
    started = time.perf_counter()
    reader.update_feeds(scheduled=False, workers=16)
    seconds = time.perf_counter() - started
    failed = sum(1 for f in reader.get_feeds() if f.last_exception)
    reader.close()
    return {"seconds": seconds, "failed": failed}


def run_client(python: str, kind: str, base: str, feeds: int, db: Path) -> dict[str, float]:
    out = subprocess.run(
        [
            python,
            __file__,
            "--client",
            kind,
            "--base",
            base,
            "--feeds",
            str(feeds),
            "--db",
            str(db),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--reader-python", default=sys.executable)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/polling.json"))
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", choices=["monitor", "reader"], help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve:
        serve(args.serve)
        return
    if args.client:
        run = client_monitor if args.client == "monitor" else client_reader
        figures = run(args.base, args.feeds, args.db)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        figures |= {
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024,
        }
        print(json.dumps(figures))
        return

    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            results = bench(args, base, Path(tmp))
        finally:
            server.terminate()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"figures written to {args.json}")


def bench(args: argparse.Namespace, base: str, tmp: Path) -> dict[str, object]:
    import urllib.request

    results: dict[str, object] = {"feeds": args.feeds}
    has_reader = (
        subprocess.run([args.reader_python, "-c", "import reader"], capture_output=True).returncode
        == 0
    )
    if not has_reader:
        print(
            f"reader is not installed in {args.reader_python}: the baseline is skipped "
            "(python -m venv r && r/bin/pip install reader sgmllib3k, then --reader-python "
            "r/bin/python)"
        )
    print(f"{'cycle':<7} {'client':<8} {'feeds/s':>8} {'CPU s':>7} {'peak RSS':>9} {'failed':>7}")
    for cycle in (1, 2):
        urllib.request.urlopen(urllib.request.Request(f"{base}/phase/{cycle}", method="POST"))
        row = {}
        clients = [("monitor", sys.executable)] + ([("reader", args.reader_python)] * has_reader)
        for kind, python in clients:
            figures = run_client(python, kind, base, args.feeds, tmp / f"{kind}.db")
            figures["feeds_per_second"] = args.feeds / figures["seconds"]
            row[kind] = figures
            print(
                f"{cycle:<7} {kind:<8} {figures['feeds_per_second']:>8.1f} "
                f"{figures['cpu_seconds']:>7.1f} {figures['peak_rss_mb']:>7.0f} MB "
                f"{figures['failed']:>7.0f}"
            )
        if has_reader:
            ratio = row["monitor"]["feeds_per_second"] / row["reader"]["feeds_per_second"]
            row["ratio"] = ratio
            print(f"cycle {cycle}: monitor / reader = x{ratio:.2f}")
        results[f"cycle{cycle}"] = row
    return results


if __name__ == "__main__":
    main()
