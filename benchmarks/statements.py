"""Statement benchmark: attribution quality on labelled passages, and speed at scale.

Usage:
    python benchmarks/statements.py tests/data/statements/labelled.yaml [--articles 5000]
        [--stored 100000] [--json benchmarks/results/statements.json]

1. Precision and recall of (speaker, quote) pairs on the labelled passages (a found pair is
   right when the speaker matches and one quote contains the other).
2. Speed: statement extraction plus the story lookup for --articles variants of the seed
   articles (speakers and quotes varied, so the story index grows), against a story table
   pre-filled with --stored statements; median and p95 per article. The baseline measured in
   the same run is keyword matching of the same articles.
3. Memory of the story index (the SQLite statements table and its indexes) at --stored.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils
import yaml

from monitor.demo import sample_pages
from monitor.extraction import extract_article
from monitor.matching import load_rules, match_article
from monitor.matching.rules import shipped_rules_dir
from monitor.records import Article, Statement, StoredStatement
from monitor.statements import extract_statements, load_speakers
from monitor.statements.stories import choose_story
from monitor.storage import open_database
from monitor.storage.sqlite.stories import story_candidates

SPEAKERS = load_speakers(shipped_rules_dir() / "speakers.yaml")
FIRST = ["Anna", "Petro", "Maria", "Olaf", "Ines", "Tomas", "Lena", "Marek", "Sofia", "Jonas"]
LAST = ["Kovalenko", "Novak", "Berg", "Laine", "Rossi", "Dubois", "Weber", "Silva", "Horvat"]
WORDS = "alliance security guarantees summit invitation defence reform border allies".split()


def quality(labelled: Path) -> dict[str, float]:
    items = yaml.safe_load(labelled.read_text(encoding="utf-8"))
    tp = fp = fn = 0
    for item in items:
        paragraphs = [p for p in item["text"].split("\n\n") if p.strip()]
        found = [(s.speaker, s.quote) for s in extract_statements(paragraphs, SPEAKERS)]
        unused = list(found)
        for gold in item["statements"]:
            hit = next(
                (
                    f
                    for f in unused
                    if f[0] == gold["speaker"] and (gold["quote"] in f[1] or f[1] in gold["quote"])
                ),
                None,
            )
            if hit is None:
                fn += 1
            else:
                tp += 1
                unused.remove(hit)
        fp += len(unused)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"passages": len(items), "pairs": tp + fn, "precision": precision, "recall": recall}


def variants(count: int, rng: random.Random) -> list[Article]:
    """Seed articles with other speakers and reworded quotes: every variant is a new story."""
    seeds = [
        extract_article(body, url=f"https://n.example/{name}")
        for name, body in sorted(sample_pages().items())
    ]
    out = []
    for i in range(count):
        seed = seeds[i % len(seeds)]
        swaps = {
            "Kirby": rng.choice(LAST) + str(i),
            "Blinken": rng.choice(LAST) + str(i),
            "Jean-Pierre": rng.choice(LAST) + str(i),
            "Kuleba": rng.choice(LAST) + str(i),
        }
        first = rng.choice(FIRST)
        paragraphs = []
        for paragraph in seed.paragraphs:
            for old, new in swaps.items():
                paragraph = paragraph.replace(f"John {old}", f"{first} {new}").replace(old, new)
            paragraphs.append(paragraph.replace(" war", f" {rng.choice(WORDS)} {i} war"))
        published = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=i)
        out.append(replace(seed, paragraphs=tuple(paragraphs), published=published))
    return out


def prefill(db_path: Path, stored: int, rng: random.Random) -> sqlite_utils.Database:
    db = open_database(db_path)
    conn = db.conn
    conn.execute("BEGIN")
    conn.execute("INSERT INTO feeds (url, interval_seconds) VALUES ('https://n.example/f', 300)")
    conn.execute("INSERT INTO entries (feed_id, key, first_seen_at) VALUES (1, 'k', 'x')")
    conn.execute(
        "INSERT INTO articles (entry_id, url, url_key, text, fetched_at) "
        "VALUES (1, 'u', 'u', 't', 'x')"
    )
    conn.execute(
        "INSERT INTO stories (speaker, key_quote, first_article_id, created_at) "
        "VALUES ('x', 'x', 1, 'x')"
    )
    start = datetime(2023, 12, 1, tzinfo=UTC)
    conn.executemany(
        "INSERT INTO statements (article_id, story_id, speaker, quote, kind, sentence, said_at) "
        "VALUES (1, 1, ?, ?, 'direct', '', ?)",
        [
            (
                f"{rng.choice(FIRST)} {rng.choice(LAST)}{i % 500}",
                " ".join(rng.choice(WORDS) for _ in range(12)),
                (start + timedelta(minutes=3 * i)).isoformat(timespec="seconds"),
            )
            for i in range(stored)
        ],
    )
    conn.execute("COMMIT")
    return db


def index_bytes(conn: sqlite3.Connection) -> int:
    try:
        rows = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN "
            "('statements', 'statements_speaker', 'statements_story')"
        ).fetchone()
        return int(rows[0])
    except sqlite3.OperationalError:  # SQLite built without dbstat: the whole file
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        return int(page_size * conn.execute("PRAGMA page_count").fetchone()[0])


def speed(articles: list[Article], db: sqlite_utils.Database) -> dict[str, float]:
    rules = load_rules([shipped_rules_dir()])
    ours, baseline = [], []
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for article in articles:
        started = time.perf_counter()
        match_article(article, rules)
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        found: list[Statement] = extract_statements(article.paragraphs, SPEAKERS)
        stored = [
            StoredStatement(i, None, s.speaker, s.quote, s.kind, s.background, s.occasion)
            for i, s in enumerate(found)
        ]
        said_at = article.published or now
        choose_story(stored, story_candidates(db, 0, stored, said_at, timedelta(days=14)))
        ours.append(time.perf_counter() - started)
    ms = sorted(t * 1000 for t in ours)
    base = sorted(t * 1000 for t in baseline)
    return {
        "articles": len(articles),
        "median_ms": statistics.median(ms),
        "p95_ms": ms[int(len(ms) * 0.95)],
        "baseline_keyword_match_median_ms": statistics.median(base),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("labelled", type=Path, help="labelled passages (YAML)")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/statements.json"))
    args = parser.parse_args()
    rng = random.Random(7)

    figures: dict[str, object] = {"quality": quality(args.labelled)}
    db_path = args.json.parent / "statements-bench.db"
    args.json.parent.mkdir(parents=True, exist_ok=True)
    db_path.unlink(missing_ok=True)
    conn = prefill(db_path, args.stored, rng)
    articles = variants(args.articles, rng)
    timing = speed(articles, conn)
    tracemalloc.start()  # apart from the timing: tracing slows Python code down several times
    speed(articles[:200], conn)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures["speed"] = timing
    figures["memory"] = {
        "stored_statements": args.stored,
        "index_bytes": index_bytes(conn.conn),
        "python_peak_bytes": peak,
    }
    conn.close()
    db_path.unlink(missing_ok=True)

    q, t, m = figures["quality"], timing, figures["memory"]
    assert isinstance(q, dict) and isinstance(m, dict)
    print(
        f"attribution on {q['passages']} labelled passages ({q['pairs']} pairs): "
        f"precision {q['precision']:.3f}, recall {q['recall']:.3f}"
    )
    print(
        f"statements + story lookup over {t['articles']} articles, {args.stored:,} stored: "
        f"median {t['median_ms']:.2f} ms, p95 {t['p95_ms']:.2f} ms "
        f"(baseline keyword match: median {t['baseline_keyword_match_median_ms']:.2f} ms, "
        f"ratio x{t['median_ms'] / t['baseline_keyword_match_median_ms']:.1f})"
    )
    print(
        f"story index at {args.stored:,} statements: {m['index_bytes'] / 1e6:.1f} MB on disk "
        f"(SQLite), Python peak during lookups {m['python_peak_bytes'] / 1e6:.1f} MB"
    )
    args.json.write_text(json.dumps(figures, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
