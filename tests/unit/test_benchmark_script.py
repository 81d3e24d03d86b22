"""benchmarks/extraction.py: the metric as the benchmark defines it, and a run on tiny data."""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "extraction.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_metric_matches_the_benchmark_definition() -> None:
    bench = _module()
    truth = "one two three four five"  # shingles: (1234), (2345)
    assert bench.page_counts(truth, truth) == (1.0, 0.0, 0.0)
    tp, fp, fn = bench.page_counts("one two three four six", truth)  # (1234) shared, (2346) extra
    assert (tp, fp, fn) == (1 / 3, 1 / 3, 1 / 3)
    assert bench.shingles("a b") == {("a", "b"): 1}  # shorter than 4 tokens: one shingle
    scores = bench.score({"x": truth, "y": ""}, {"x": truth, "y": "alpha beta gamma delta"})
    assert scores["precision"] == 1.0  # page y has no prediction: it counts for recall only
    assert scores["recall"] == 0.5


def test_script_runs_on_a_small_data_folder(tmp_path: Path) -> None:
    body = "Ministers met in Brussels on Tuesday to discuss the request with their partners. " * 5
    html = (
        f"<html><body><article><h1>T</h1><p>{body}</p><p>Advertisement</p></article></body></html>"
    )
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "p1.html.gz").write_bytes(gzip.compress(html.encode()))
    truth = {"p1": {"articleBody": body.strip(), "url": "https://n.example/p1"}}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    out = tmp_path / "figures.json"

    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path), "--json", str(out), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "trafilatura alone" in result.stdout and "monitor" in result.stdout
    figures = json.loads(out.read_text())
    assert figures["pages"] == 1
    assert set(figures["extractors"]) == {"trafilatura alone", "monitor"}
    assert figures["extractors"]["monitor"]["precision"] == 1.0
    assert figures["comparison"]["speed_ratio"] > 0


def test_statements_benchmark_runs_small(tmp_path: Path) -> None:
    script = SCRIPT.parent / "statements.py"
    labelled = Path(__file__).resolve().parents[1] / "data" / "statements" / "labelled.yaml"
    out = tmp_path / "statements.json"
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            str(labelled),
            "--articles",
            "30",
            "--stored",
            "500",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert figures["quality"]["passages"] >= 40
    assert 0 < figures["quality"]["precision"] <= 1 and 0 < figures["quality"]["recall"] <= 1
    assert figures["speed"]["articles"] == 30 and figures["speed"]["median_ms"] > 0
    assert figures["memory"]["stored_statements"] == 500 and figures["memory"]["index_bytes"] > 0
    assert "precision" in result.stdout and "median" in result.stdout


def test_matching_benchmark_runs_small(tmp_path: Path) -> None:
    script = SCRIPT.parent / "matching.py"
    out = tmp_path / "matching.json"
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "--articles",
            "20",
            "--rules",
            "50",
            "--baseline-articles",
            "5",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())["50"]
    assert figures["articles"] == 20 and figures["naive_articles"] == 5
    assert figures["median_ms"] > 0 and figures["ratio"] > 0
    assert figures["compiled_memory_bytes"] > 0


def test_polling_benchmark_runs_small_without_reader(tmp_path: Path) -> None:
    script = SCRIPT.parent / "polling.py"
    out = tmp_path / "polling.json"
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "--feeds",
            "30",
            "--json",
            str(out),
            "--reader-python",
            sys.executable,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    for cycle in ("cycle1", "cycle2"):
        assert figures[cycle]["monitor"]["feeds_per_second"] > 0
    assert figures["cycle2"]["monitor"]["failed"] == 1  # feed 7 fails in the second cycle


def test_pipeline_benchmark_runs_small(tmp_path: Path) -> None:
    """benchmarks/pipeline.py end to end on the demo's pages: every configuration runs, the
    Slack stand-in counts the alerts, and each target is reported met or missed."""
    from monitor.demo import sample_pages

    (tmp_path / "html").mkdir()
    for name, page in sample_pages().items():
        (tmp_path / "html" / f"{name}.gz").write_bytes(gzip.compress(page))
    out = tmp_path / "figures.json"
    script = SCRIPT.parent / "pipeline.py"
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            str(tmp_path),
            "--articles",
            "20",
            "--feeds",
            "4",
            "--repeat",
            "1",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "workers 2 / workers 1" in result.stdout
    figures = json.loads(out.read_text())
    for name in ("baseline", "workers_1", "workers_2"):
        assert figures["results"][name]["articles"] == 20
    two = figures["results"]["workers_2"]
    assert two["alerts_sent"] == two["posts"] == two["unique"] > 0  # each alert once
    assert figures["checks"]["no alert lost or doubled"] is True


def test_pipeline_benchmark_compares_the_backends_small(tmp_path: Path, pg_url: str) -> None:
    """--database: SQLite and PostgreSQL, 1 and 2 daemons each, every alert once."""
    from monitor.demo import sample_pages

    (tmp_path / "html").mkdir()
    for name, page in sample_pages().items():
        (tmp_path / "html" / f"{name}.gz").write_bytes(gzip.compress(page))
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT.parent / "pipeline.py"),
            str(tmp_path),
            "--articles",
            "20",
            "--feeds",
            "4",
            "--repeat",
            "1",
            "--database",
            pg_url,
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "postgres_2 / postgres_1" in result.stdout
    figures = json.loads(out.read_text())
    for name in ("sqlite_1", "sqlite_2", "postgres_1", "postgres_2"):
        run = figures["results"][name]
        assert run["articles"] == 20
        assert run["alerts_sent"] == run["posts"] == run["unique"] > 0  # each alert once
    assert figures["checks"]["no alert lost or doubled"] is True


def test_history_benchmark_runs_small(tmp_path: Path, pg_url: str) -> None:
    """benchmarks/history.py on a few hundred articles, SQLite and PostgreSQL: search
    latency for every query, bytes per article before and after pruning, the projection."""
    out = tmp_path / "history.json"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT.parent / "history.py"),
            "--articles",
            "300",
            "--reps",
            "2",
            "--database",
            pg_url,
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "bytes per article" in result.stdout and "a year at 5,000 articles a day" in result.stdout
    )
    figures = json.loads(out.read_text())["results"]
    assert [f["backend"] for f in figures] == ["sqlite", "postgresql"]
    for run in figures:
        assert run["articles"] == 300
        search = run["search"]
        assert search["median_ms"] > 0 and search["p95_ms"] >= search["median_ms"]
        assert search["per_query"]["phrase"]["hits"] > 0  # the needle phrase is found
        assert search["per_query"]["hostile"]["hits"] == 0
        size = run["size"]
        assert size["pruned_articles"] == 300
        assert size["bytes_per_article"] > 0 and size["bytes_per_article_pruned"] > 0
    # SQLite's VACUUM gives the pruned texts back at once; PostgreSQL keeps dead rows
    # while any transaction on the server (another test's) may still see them
    sqlite = figures[0]["size"]
    assert sqlite["bytes_per_article_pruned"] < sqlite["bytes_per_article"] / 2
    assert sqlite["year_bytes"] < sqlite["year_without_retention_bytes"]
