"""pipeline.py --database: the same pipeline on SQLite and on PostgreSQL, with 1 and 2
daemons (replicas) on one database, each daemon with the same number of workers.

Each PostgreSQL run gets a database of its own on the given server (created, then dropped),
each SQLite run a file of its own; runs are interleaved over --repeat rounds and the best
round of each counts, as in pipeline.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil
from pipeline import _cpu, run_client, server_stats
from server_database import ServerDatabase

RUNS = [
    ("sqlite_1", "sqlite", 1),
    ("postgres_1", "postgresql", 1),
    ("sqlite_2", "sqlite", 2),
    ("postgres_2", "postgresql", 2),
]


def _one_run(
    base: str, server: psutil.Process, args: argparse.Namespace, name: str, turn: int
) -> dict[str, Any]:
    label, backend, replicas = next(r for r in RUNS if r[0] == name)
    run = f"{label}-{turn}"
    target = ServerDatabase(args.database) if backend == "postgresql" else None
    database = target.url if target else str(Path(tempfile.mkdtemp()) / "bench.db")
    try:
        before = _cpu(server)
        result = run_client(
            "monitor",
            base,
            run,
            args.feeds,
            args.articles,
            args.replica_workers,
            replicas=replicas,
            database=database,
        )
        result["server_cpu_seconds"] = _cpu(server) - before
        result.update(server_stats(base, run))
    finally:
        if target:
            target.drop()
    return result


def measure_backends(
    base: str, server: psutil.Process, args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in RUNS}
    for turn in range(args.repeat):
        for name, _, _ in RUNS:
            result = _one_run(base, server, args, name, turn)
            rounds[name].append(result)
            print(f"{name}-{turn}: {result['per_second']:.1f} articles/s", file=sys.stderr)
    results = {}
    for name, found in rounds.items():
        best = max(found, key=lambda r: float(r["per_second"]))
        results[name] = {**best, "all_per_second": [round(r["per_second"], 1) for r in found]}
        results[name]["lost_or_doubled"] = sum(
            r["unique"] != r["posts"] or r["posts"] != r["alerts_sent"] for r in found
        )
    return results


def report_backends(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    rate = {name: r["per_second"] for name, r in results.items()}
    ratios = {
        "postgres_1 / sqlite_1": rate["postgres_1"] / rate["sqlite_1"],
        "postgres_2 / sqlite_2": rate["postgres_2"] / rate["sqlite_2"],
        "postgres_2 / postgres_1": rate["postgres_2"] / rate["postgres_1"],
        "sqlite_2 / sqlite_1": rate["sqlite_2"] / rate["sqlite_1"],
    }
    checks = {"no alert lost or doubled": all(r["lost_or_doubled"] == 0 for r in results.values())}
    print(
        f"\n{args.articles} articles over {args.feeds} feeds, {os.cpu_count()} cores, "
        f"{args.replica_workers} worker(s) per daemon"
    )
    print(f"{'':12} {'art/s':>7} {'wall s':>7} {'CPU s':>6} {'peak MB':>7} {'alerts':>6}")
    for name, r in results.items():
        print(
            f"{name:12} {r['per_second']:7.1f} {r['wall']:7.1f} {r['cpu_seconds']:6.1f} "
            f"{r['peak_rss_mb']:7.0f} {r['alerts_sent']:6}   rounds {r['all_per_second']}"
        )
    print()
    for label, value in ratios.items():
        print(f"  {label}: x{value:.2f}")
    for check, held in checks.items():
        print(f"  {'met ' if held else 'MISSED'} {check}")
    if args.json:
        args.json.write_text(
            json.dumps({"results": results, "ratios": ratios, "checks": checks}, indent=2)
        )
