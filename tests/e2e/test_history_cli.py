"""`monitor search` and `monitor export` as a user runs them, on each backend, over the seed
articles as the pipeline stored them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.alerts import ConsoleSender
from monitor.config import load_config
from monitor.runtime import run_once
from tests.conftest import stored_db, write_config
from tests.e2e.test_cli import monitor
from tests.servers import NewsSite

pytestmark = pytest.mark.usefixtures("each_backend")  # SQLite and PostgreSQL

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
async def config(tmp_path: Path, news_site: NewsSite) -> Path:
    path = write_config(tmp_path, [{"url": news_site.feed_url("news")}])
    await run_once(load_config(path), ConsoleSender(io.StringIO()), now=lambda: T0)
    return path


def test_search_prints_one_line_per_hit_with_the_match_marked(config: Path) -> None:
    result = monitor("search", '"bridge to membership"', "--config", str(config))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    statement = next(line for line in lines if "Antony Blinken: “" in line)
    assert statement.startswith("2024-06-03  ") and "«bridge to membership»" in statement
    assert "/004_" in statement


def test_search_jsonl_with_speaker_since_and_limit(config: Path) -> None:
    result = monitor(
        "search", "NATO", "--speaker", "blinken", "--since", "2024-01-01", "--limit", "3",
        "--jsonl", "--config", str(config),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(hits) == 3
    assert {(h["kind"], h["speaker"]) for h in hits} == {("statement", "Antony Blinken")}
    assert all(h["published"] >= "2024-01-01" and "«NATO»" in h["snippet"] for h in hits)
    assert set(hits[0]) >= {"article_id", "statement_id", "url", "title", "quote", "rank"}


def test_search_without_matches_and_with_a_bad_date(config: Path) -> None:
    none = monitor("search", "'; DROP TABLE articles; --", "--config", str(config))
    assert none.returncode == 0 and none.stdout == "" and "no matches" in none.stderr
    bad = monitor("search", "nato", "--since", "last week", "--config", str(config))
    assert bad.returncode == 2 and "use a date like 2026-01-31" in bad.stderr
    assert "Traceback" not in bad.stderr


def _counts(folder: Path) -> dict[str, int]:
    db = stored_db(folder)
    return {
        "article": db.execute("SELECT count(*) FROM articles").fetchone()[0],
        "statement": db.execute("SELECT count(*) FROM statements").fetchone()[0],
        "alert": db.execute("SELECT count(*) FROM outbox").fetchone()[0],
    }


def test_export_jsonl_holds_every_article_statement_and_alert(config: Path) -> None:
    out = config.parent / "export.jsonl"
    since = "2025-12-01"  # the articles were fetched on 2026-01-01
    result = monitor("export", "--since", since, "--output", str(out), "--config", str(config))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    found = {
        kind: sum(r["type"] == kind for r in records) for kind in ("article", "statement", "alert")
    }
    expected = _counts(config.parent)
    assert found == expected and all(expected.values())
    assert f"exported {expected['article']} articles" in result.stderr
    db = stored_db(config.parent)
    texts = dict(db.execute("SELECT id, text FROM articles").fetchall())
    assert {r["id"]: r["text"] for r in records if r["type"] == "article"} == texts
    alert = next(r for r in records if r["type"] == "alert")
    assert alert["facts"]["rule"] == "Ukraine and NATO membership" and alert["status"] == "sent"
    # to standard output; nothing fetched since tomorrow
    stdout = monitor("export", "--config", str(config))
    assert len(stdout.stdout.splitlines()) == len(records)
    later = monitor("export", "--since", "2026-01-02", "--config", str(config))
    assert later.returncode == 0 and later.stdout == ""
    assert "exported 0 articles, 0 statements, 0 alerts" in later.stderr


def test_export_csv_writes_a_file_per_kind_that_reads_back(config: Path) -> None:
    folder = config.parent / "export"
    result = monitor("export", "--format", "csv", "--output", str(folder), "--config", str(config))
    assert result.returncode == 0, result.stderr
    rows = {}
    for kind, name in (("article", "articles"), ("statement", "statements"), ("alert", "alerts")):
        with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
            rows[kind] = list(csv.DictReader(f))
    assert {kind: len(r) for kind, r in rows.items()} == _counts(config.parent)
    db = stored_db(config.parent)
    texts = dict(db.execute("SELECT id, text FROM articles").fetchall())
    assert {int(r["id"]): r["text"] for r in rows["article"]} == texts  # newlines, quotes
    assert {r["background"] for r in rows["statement"]} <= {"true", "false"}
    assert any(json.loads(r["dropped"]) for r in rows["article"])  # lists as JSON
    nothing = monitor(
        "export", "--format", "csv", "--since", "2030-01-01", "--output", str(folder),
        "--config", str(config),
    )  # fmt: skip
    assert nothing.returncode == 0
    header = (folder / "articles.csv").read_text(encoding="utf-8").splitlines()
    assert header == [
        "id,url,canonical_url,title,published,author,sitename,language,feed,fetched_at,text,"
        "dropped,text_pruned_at"
    ]


def test_export_csv_needs_a_folder(config: Path) -> None:
    result = monitor("export", "--format", "csv", "--config", str(config))
    assert result.returncode == 2 and "give --output FOLDER" in result.stderr
    file = config.parent / "file.csv"
    file.write_text("x", encoding="utf-8")
    taken = monitor("export", "--format", "csv", "-o", str(file), "--config", str(config))
    assert taken.returncode == 2 and "is a file" in taken.stderr
