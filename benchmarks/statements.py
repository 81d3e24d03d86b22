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
4. One prolific speaker: the story lookup per article against 1,000, 10,000 and 100,000
   stored statements of that one speaker (the sizes up to --stored), in two layouts:
   `window`, all said within the date window (the worst case: the window does not thin
   them out), and `spread`, said at a steady rate over the years (100,000 over 3 years, so
   a larger history is an older one). Their quotes are drawn from a vocabulary of
   --vocabulary words with a Zipf-like distribution (the words of the demo pages first),
   so words repeat as a speaker's do. Median and p95 per article of the statement step and
   of the lookup at each size, the ratio of the largest size to the smallest for each
   (flat: near 1), the postings read per lookup, and against the same baseline; the full
   comparison with every statement in the window (the lookup before the statement index)
   is timed on a few articles for comparison.
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
from monitor.statements.fingerprint import content_words
from monitor.statements.stories import choose_story
from monitor.storage import open_database
from monitor.storage.sql import statement_index
from monitor.storage.sql.stories import _stored_statement, _window, story_candidates

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
    _store(
        db,
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


def _store(db: sqlite_utils.Database, rows: list[tuple[str, str, str]]) -> None:
    """Statements (speaker, quote, said_at) of article 1 in story 1, indexed as the writer
    indexes them (storage/sqlite/statement_index.py)."""
    (first,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM statements").fetchone()
    db.conn.executemany(
        "INSERT INTO statements (id, article_id, story_id, speaker, quote, kind, sentence, "
        "said_at, words) VALUES (?, 1, 1, ?, ?, 'direct', '', ?, ?)",
        [
            (first + i, speaker, quote, said_at, " ".join(sorted(content_words(quote))) or None)
            for i, (speaker, quote, said_at) in enumerate(rows)
        ],
    )
    statement_index.index_statements(
        db,
        [
            statement_index.Indexed(first + i, speaker, quote, content_words(quote), said_at)
            for i, (speaker, quote, said_at) in enumerate(rows)
        ],
    )


def index_bytes(conn: sqlite3.Connection) -> int:
    try:
        rows = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN "
            "('statements', 'statements_speaker', 'statements_story', 'statement_terms', "
            "'statement_term_counts')"
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


PROLIFIC = "John Kirby"  # the speaker the demo pages quote most
SIZES = (1_000, 10_000, 100_000)


def vocabulary(size: int) -> list[str]:
    """The content words of the demo pages, most frequent first, then made-up words."""
    counts: dict[str, int] = {}
    for body in sample_pages().values():
        for word in content_words(
            " ".join(extract_article(body, url="https://n.example").paragraphs)
        ):
            counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))[:size]
    return words + [f"term{i}" for i in range(size - len(words))]


def zipf_quote(rng: random.Random, words: list[str], weights: list[float]) -> str:
    """A quote of 1 to 20 content words (mostly 5 to 14), drawn with Zipf-like weights."""
    length = rng.choice([1, 2, 3]) if rng.random() < 0.05 else rng.randint(5, 14)
    if rng.random() < 0.05:
        length += rng.randint(6, 12)
    return "We will " + " ".join(rng.choices(words, weights, k=length))


def prolific_articles(
    count: int, rng: random.Random, words: list[str], weights: list[float], at: datetime
) -> list[Article]:
    """Seed articles that quote the prolific speaker, their quotes varied by Zipf words."""
    seeds = [
        extract_article(body, url=f"https://n.example/{name}")
        for name, body in sorted(sample_pages().items())
    ]
    seeds = [a for a in seeds if any(PROLIFIC.split()[-1] in p for p in a.paragraphs)]
    out = []
    for i in range(count):
        seed = seeds[i % len(seeds)]
        paragraphs = tuple(
            p.replace(" war", f" {' '.join(rng.choices(words, weights, k=2))} war")
            for p in seed.paragraphs
        )
        out.append(replace(seed, paragraphs=paragraphs, published=at))
    return out


def _percentiles(times: list[float]) -> dict[str, float]:
    ms = sorted(t * 1000 for t in times)
    return {"median_ms": statistics.median(ms), "p95_ms": ms[min(len(ms) - 1, int(len(ms) * 0.95))]}


def _everything(
    db: sqlite_utils.Database, stored: list[StoredStatement], said_at: datetime
) -> list[StoredStatement]:
    """The candidates before the statement index: every statement of the speakers within
    the window (the query the lookup used to make)."""
    speakers = sorted({s.speaker for s in stored if not s.background})
    if not speakers:
        return []
    marks = ",".join("?" * len(speakers))
    rows = db.execute(
        f"""SELECT min(id), story_id, speaker, quote, kind, background, occasion, words,
                   setting
            FROM statements
            WHERE speaker IN ({marks}) AND story_id IS NOT NULL AND background = 0
              AND article_id != 0 AND said_at BETWEEN ? AND ?
            GROUP BY story_id, speaker, coalesce(words, quote), occasion, setting
            ORDER BY min(id)""",
        (*speakers, *_window(said_at, timedelta(days=14))),
    ).fetchall()
    return [_stored_statement(r) for r in rows]


LAYOUTS = {
    "window": "all stored statements within the 14-day window",
    "spread": "stored statements at a steady rate, 100,000 over 3 years",
}
STEADY = timedelta(days=3 * 365) / 100_000  # between two statements in the spread layout


def prolific(
    db_path: Path,
    sizes: list[int],
    articles: int,
    full: int,
    vocabulary_size: int,
    layout: str = "window",
) -> dict[str, object]:
    """The statement step and the story lookup per article at each size of one speaker's
    history (laid out as `layout` says, LAYOUTS); and the lookup comparing with everything
    (`full` articles)."""
    rng = random.Random(11)
    words = vocabulary(vocabulary_size)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    at = datetime(2024, 6, 1, tzinfo=UTC)
    texts = prolific_articles(articles, rng, words, weights, at)
    rules = load_rules([shipped_rules_dir()])
    db_path.unlink(missing_ok=True)
    db = open_database(db_path)
    db.conn.executescript(
        """INSERT INTO feeds (url, interval_seconds) VALUES ('https://n.example/f', 300);
           INSERT INTO entries (feed_id, key, first_seen_at) VALUES (1, 'k', 'x');
           INSERT INTO articles (entry_id, url, url_key, text, fetched_at)
               VALUES (1, 'u', 'u', 't', 'x');
           INSERT INTO stories (speaker, key_quote, first_article_id, created_at)
               VALUES ('x', 'x', 1, 'x');"""
    )
    results: dict[str, object] = {}
    have = 0
    for size in sizes:

        def said(i: int, size: int = size) -> datetime:
            if layout == "spread":  # further back as the history grows
                return at - STEADY * (i + 1)
            return at - timedelta(days=13) * (i + 1) / (size + 1)  # within the window

        db.conn.execute("BEGIN")
        _store(
            db,
            [
                (PROLIFIC, zipf_quote(rng, words, weights), said(i).isoformat(timespec="seconds"))
                for i in range(have, size)
            ],
        )
        db.conn.execute("COMMIT")
        have = size
        step, lookup, both, baseline, postings, found = [], [], [], [], [], 0
        for article in texts:
            started = time.perf_counter()
            match_article(article, rules)
            baseline.append(time.perf_counter() - started)
            started = time.perf_counter()
            stored = [
                StoredStatement(i, None, s.speaker, s.quote, s.kind, s.background, s.occasion)
                for i, s in enumerate(extract_statements(article.paragraphs, SPEAKERS))
            ]
            middle = time.perf_counter()
            choice = choose_story(stored, story_candidates(db, 0, stored, at, timedelta(days=14)))
            ended = time.perf_counter()
            found += choice.story_id is not None
            step.append(middle - started)
            lookup.append(ended - middle)
            both.append(ended - started)
            postings.append(_postings(db, stored, at))
        full_times = []
        for article in texts[:full]:
            stored = [
                StoredStatement(i, None, s.speaker, s.quote, s.kind, s.background, s.occasion)
                for i, s in enumerate(extract_statements(article.paragraphs, SPEAKERS))
            ]
            started = time.perf_counter()
            choose_story(stored, _everything(db, stored, at))
            full_times.append(time.perf_counter() - started)
        (in_window,) = db.execute(
            "SELECT count(*) FROM statements WHERE speaker = ? AND said_at BETWEEN ? AND ?",
            (PROLIFIC, *_window(at, timedelta(days=14))),
        ).fetchone()
        results[str(size)] = {
            "in_window": in_window,
            "statements": _percentiles(step),
            "lookup": _percentiles(lookup),
            "statements_plus_lookup": _percentiles(both),
            "postings_read_per_article": {
                "median": statistics.median(postings),
                "max": max(postings),
            },
            "lookup_full_comparison": _percentiles(full_times) if full_times else None,
            "baseline_keyword_match": _percentiles(baseline),
            "articles_joining_a_story": found,
        }
    db.close()
    db_path.unlink(missing_ok=True)
    return {
        "speaker": PROLIFIC,
        "layout": layout,
        "articles": articles,
        "vocabulary": len(words),
        "sizes": results,
    }


def _postings(db: sqlite_utils.Database, stored: list[StoredStatement], at: datetime) -> int:
    """Index rows an article's lookup reads (outside the timing)."""
    ends = _window(at, timedelta(days=14))
    return sum(
        statement_index.lookup(
            db,
            s.speaker,
            s.quote,
            statement_index.fingerprint(s.quote, s.words),
            s.occasion.isoformat() if s.occasion else None,
            ends,
        ).postings
        for s in stored
        if not s.background
    )


def report_prolific(figures: dict[str, object]) -> None:
    sizes = figures["sizes"]
    assert isinstance(sizes, dict)
    print(
        f"one prolific speaker ({figures['speaker']}), {figures['articles']} articles, "
        f"Zipf quotes of {figures['vocabulary']:,} words, "
        f"{LAYOUTS[str(figures['layout'])]}:"
    )
    for size, f in sizes.items():
        base = f["baseline_keyword_match"]["median_ms"]
        full = f["lookup_full_comparison"]
        before = (
            f", comparing with everything (before the index) {full['median_ms']:.2f} ms"
            if full
            else ""
        )
        print(
            f"  {int(size):>7,} stored ({f['in_window']:,} in the window): statements median "
            f"{f['statements']['median_ms']:.2f} ms p95 {f['statements']['p95_ms']:.2f} ms; "
            f"story lookup median {f['lookup']['median_ms']:.3f} ms "
            f"p95 {f['lookup']['p95_ms']:.3f} ms "
            f"(x{f['lookup']['median_ms'] / base:.2f} of the baseline keyword match "
            f"{base:.2f} ms; postings read median "
            f"{f['postings_read_per_article']['median']:.0f}, "
            f"max {f['postings_read_per_article']['max']}){before}"
        )
    largest, smallest = max(sizes, key=int), min(sizes, key=int)
    first, last = sizes[smallest], sizes[largest]
    ratios = {
        part: {
            "median": last[part]["median_ms"] / first[part]["median_ms"],
            "p95": last[part]["p95_ms"] / first[part]["p95_ms"],
        }
        for part in ("statements", "lookup")
    }
    figures["ratio_largest_to_smallest"] = ratios
    both = last["statements_plus_lookup"]["median_ms"]
    print(
        f"  {int(largest):,} / {int(smallest):,} stored: statements median "
        f"x{ratios['statements']['median']:.2f} p95 x{ratios['statements']['p95']:.2f}; "
        f"lookup median x{ratios['lookup']['median']:.2f} p95 x{ratios['lookup']['p95']:.2f} "
        f"(flat: under x2 {'met' if ratios['lookup']['median'] < 2 else 'missed'}); "
        f"statements + lookup at {int(largest):,}: median {both:.2f} ms "
        f"(target under 5 ms: {'met' if both < 5 else 'missed'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("labelled", type=Path, help="labelled passages (YAML)")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/statements.json"))
    parser.add_argument(
        "--speaker-articles", type=int, default=100, help="articles for the prolific speaker"
    )
    parser.add_argument(
        "--full-articles",
        type=int,
        default=5,
        help="of those, articles also looked up by comparing with everything (slow)",
    )
    parser.add_argument("--vocabulary", type=int, default=3000)
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
    sizes = [n for n in SIZES if n <= args.stored] or [args.stored]
    speaker: dict[str, object] = {}
    figures["prolific_speaker"] = speaker
    for layout in LAYOUTS:
        speaker[layout] = prolific(
            db_path, sizes, args.speaker_articles, args.full_articles, args.vocabulary, layout
        )
        report_prolific(speaker[layout])  # type: ignore[arg-type]
    args.json.write_text(json.dumps(figures, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
