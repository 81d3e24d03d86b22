"""History benchmark: full-text search latency, and the database's size per article before
and after retention prunes the article texts, on SQLite and (with --database) PostgreSQL.

Usage:
    python benchmarks/history.py [--articles 50000] [--json benchmarks/results/history.json]
    python benchmarks/history.py --database postgresql://postgres@127.0.0.1/postgres

1. A database of --articles synthetic articles, stored through the real write path
   (entries, articles with what the cleaning dropped, statements, stories, the statement
   index, matches and alerts, and the search indexes the database keeps in step): texts of
   about 600 words in paragraphs of sentences drawn with a Zipf-like distribution from a
   vocabulary (the words of the demo pages, most frequent first, then made-up words),
   titles, 0 to 3 statements per article by 400 speakers (Zipf-like: the most quoted one
   says one statement in seven; the quotes are sentences like the text's), one article in
   ten alerted. The articles are spread over the days before NOW at
   5,000 a day. With --database (a PostgreSQL server's URL) the same articles go into a
   database of their own on that server (created, then dropped) as well.
2. Search latency: a set of queries (a common word, a rare one, two words, a phrase, a
   prefix, OR, an exclusion, a speaker filter, a --since filter, hostile input) through the
   store's `search` (limit 50), each run --reps times after a warm-up: median and p95 in ms,
   over all runs and per query.
3. Size: bytes per article with every text kept, then after pruning every text (retention)
   and compacting (SQLite: the store's compaction, then the file VACUUM'ed; PostgreSQL: the
   schema's tables with their indexes and TOAST after VACUUM FULL: the live size, which
   autovacuum keeps a database near by letting new rows reuse freed space), each time minus
   the size of the empty schema. The projection for a year at 5,000 articles a day keeps
   the last 90 days' texts (retention.article_text: 90d).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server_database import ServerDatabase

from monitor.alerts.plan import plan_alert
from monitor.config import FeedConfig
from monitor.demo import sample_pages
from monitor.extraction import extract_article
from monitor.records import Analysis, Article, DroppedLine, FeedEntry, Hit, Match, Statement
from monitor.statements.fingerprint import content_words
from monitor.statements.stories import choose_story
from monitor.storage.base import WritePolicy
from monitor.storage.sql import entries, feeds, stories
from monitor.storage.sql.dialect import Db, is_postgres
from monitor.storage.sql.store import PostgresStore, SqliteStore, SqlStore

NOW = datetime(2026, 3, 1, tzinfo=UTC)
PER_DAY = 5000  # articles a day, for the data's dates and the projection
KEPT_DAYS = 90  # retention.article_text's default
YEAR = 365
VOCABULARY = 30_000
SPEAKERS = 400
FEEDS = 20
BATCH = 250  # articles stored per transaction
LEASE = timedelta(hours=1)
NEEDLE = "bridge to membership"  # a phrase one article in a hundred carries
POLICY = WritePolicy(
    window=timedelta(days=14),
    default_channel="#news",
    choose_story=choose_story,
    plan_alert=plan_alert,
)
_WORD = re.compile(r"[A-Za-z]+")
_SYLLABLES = "ka ro mes tin va lu sor pe dan ri ko mal ter si nu bel gor fa li stan ve ru".split()
_FIRST = "Anna Petro Maria Olaf Ines Tomas Lena Marek Sofia Jonas Rita Pavel Ada Emil Vera".split()
_DROPPED = (
    DroppedLine("Advertisement", "patterns", "ad-marker"),
    DroppedLine("Share this article on social media", "patterns", "share-prompt"),
)


class Corpus:
    """Deterministic synthetic articles (the same for every backend in a run)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        counts: dict[str, int] = {}
        for body in sample_pages().values():
            text = " ".join(extract_article(body, url="https://n.example").paragraphs)
            for word in _WORD.findall(text.lower()):
                counts[word] = counts.get(word, 0) + 1
        words = sorted(counts, key=lambda w: (-counts[w], w))
        seen = set(words)
        while len(words) < VOCABULARY:
            made = "".join(self.rng.choices(_SYLLABLES, k=self.rng.randint(2, 4)))
            if made not in seen:
                seen.add(made)
                words.append(made)
        self.words = words
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(words))]
        self.cumulative = list(_accumulate(weights))
        self.speakers = [f"{self.rng.choice(_FIRST)} {self._made_name()}" for _ in range(SPEAKERS)]
        # the most quoted speaker says about one statement in seven, the 400th one in 2,600
        self.speaker_weights = list(_accumulate([1 / (rank + 1) for rank in range(SPEAKERS)]))

    def _made_name(self) -> str:
        return "".join(self.rng.choices(_SYLLABLES, k=3)).capitalize()

    def _sentence(self, low: int = 8, high: int = 24) -> str:
        words = self.rng.choices(
            self.words, cum_weights=self.cumulative, k=self.rng.randint(low, high)
        )
        return " ".join(words).capitalize() + "."

    def article(self, i: int, at: datetime) -> tuple[FeedEntry, Analysis]:
        rng = self.rng
        paragraphs = [
            " ".join(self._sentence() for _ in range(rng.randint(2, 5)))
            for _ in range(rng.randint(6, 12))
        ]
        if i % 100 == 7:
            paragraphs[1] += f" There is a {NEEDLE} for the country."
        statements = []
        for position in range(rng.choice((0, 1, 1, 2, 3))):
            speaker = rng.choices(self.speakers, cum_weights=self.speaker_weights)[0]
            quote = self._sentence(6, 18).rstrip(".")
            if i % 100 == 7 and position == 0:
                quote = f"We will build a {NEEDLE} together"
            sentence = f"“{quote},” {speaker} said."
            paragraphs.insert(rng.randint(0, len(paragraphs)), sentence)
            statements.append(
                Statement(
                    speaker=speaker,
                    role="minister",
                    quote=quote,
                    kind="direct",
                    sentence=sentence,
                    start=0,
                    end=len(sentence),
                    words=content_words(quote),
                )
            )
        url = f"https://outlet{i % FEEDS}.example/news/{i}"
        title = self._sentence(6, 12).rstrip(".")
        article = Article(
            source=url,
            title=title,
            paragraphs=tuple(paragraphs),
            published=at,
            author=None,
            sitename=f"Outlet {i % FEEDS}",
            language="en",
            canonical_url=url,
            dropped=_DROPPED,
        )
        matches: tuple[Match, ...] = ()
        if statements and i % 10 == 0:
            matches = (
                Match(
                    rule="Benchmark",
                    channel=None,
                    hits=(Hit("text", statements[0].quote.split()[0].lower()),),
                    sentence=statements[0].sentence,
                    statement=statements[0],
                ),
            )
        entry = FeedEntry(key=url, url=url, title=title, published=at)
        return entry, Analysis(article=article, statements=tuple(statements), matches=matches)


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def _store_batch(db: Db, batch: list[tuple[FeedEntry, Analysis, int]], at: datetime) -> None:
    """One transaction: the entries polled, claimed, analysed and written (stories, alerts)."""
    for entry, _, feed in batch:
        entries.add_entries(db, feed, [entry], at)
    claimed = entries.claim_entries(db, "bench", at, LEASE, len(batch))
    analyses = {entry.url: analysis for entry, analysis, _ in batch}
    for stored in claimed:
        analysis = analyses[stored.url]
        published = analysis.article.published or at
        entries.save_analysis(db, stored, analysis, published, "bench")
        stories.write_alerts(db, stored.id, published, POLICY)


def load(store: SqlStore, count: int, seed: int) -> float:
    """Store `count` articles (the same ones for every seed); returns articles per second."""
    corpus = Corpus(seed)
    conns = store._conns
    db = conns.db()
    configured = [FeedConfig(url=f"https://outlet{i}.example/feed") for i in range(FEEDS)]
    conns.write(feeds.sync_feeds, configured, NOW)
    ids = {r[1]: int(r[0]) for r in db.execute("SELECT id, url FROM feeds").fetchall()}
    step = timedelta(days=1) / PER_DAY
    first = NOW - step * count
    started = time.perf_counter()
    for offset in range(0, count, BATCH):
        batch = []
        for i in range(offset, min(count, offset + BATCH)):
            entry, analysis = corpus.article(i, first + step * i)
            batch.append((entry, analysis, ids[f"https://outlet{i % FEEDS}.example/feed"]))
        conns.write(_store_batch, batch, first + step * offset)
        if is_postgres(db) and (offset // BATCH) % 20 == 19:
            db.execute("ANALYZE")  # as autovacuum would (it may be off on a test server)
    return count / (time.perf_counter() - started)


def queries(corpus: Corpus) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, query, options): words picked by rank so each finds what its label says."""
    w = corpus.words
    surname = corpus.speakers[1].split()[-1]
    return [
        ("common word", w[40], {}),
        ("rare word", w[8000], {}),
        ("two words", f"{w[300]} {w[900]}", {}),
        ("phrase", f'"{NEEDLE}"', {}),
        ("prefix", w[2000][:4] + "*", {}),
        ("or", f"{w[5000]} OR {w[6000]}", {}),
        ("exclusion", f"{w[500]} -{w[60]}", {}),
        ("speaker", w[200], {"speaker": surname}),
        ("speaker only", "", {"speaker": surname}),
        ("since 1 day", w[40], {"since": NOW - timedelta(days=1)}),
        ("hostile", '"unbalanced AND * ( OR -', {}),
    ]


async def _time_searches(
    store: SqlStore, corpus: Corpus, reps: int
) -> tuple[list[float], dict[str, dict[str, Any]]]:
    everything: list[float] = []
    per_query: dict[str, dict[str, Any]] = {}
    for label, text, options in queries(corpus):
        hits = await store.search(text, limit=50, **options)  # warm-up
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            await store.search(text, limit=50, **options)
            times.append((time.perf_counter() - started) * 1000)
        everything += times
        per_query[label] = {"query": text, "hits": len(hits), "median_ms": statistics.median(times)}
    return everything, per_query


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _sqlite_size(store: SqlStore) -> int:
    """The file's size once VACUUM'ed (and its write-ahead log emptied)."""
    db = store._conns.db()
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    (size,) = db.execute("PRAGMA page_size").fetchone()
    return int(pages * size)


def _pg_size(store: SqlStore) -> int:
    """The tables of the schema with their indexes and TOAST, VACUUM FULL'ed (the system
    catalogs, whose planner statistics grow with ANALYZE, are left out)."""
    db = store._conns.db()
    db.execute("VACUUM FULL")
    (size,) = db.execute(
        """SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind = 'r'"""
    ).fetchone()
    return int(size)


async def measure(
    label: str,
    make: Callable[[], SqlStore],
    size: Callable[[SqlStore], int],
    args: argparse.Namespace,
) -> dict[str, Any]:
    store = make()
    empty = size(store)
    rate = await asyncio.to_thread(load, store, args.articles, args.seed)
    corpus = Corpus(args.seed)
    before = size(store)
    times, per_query = await _time_searches(store, corpus, args.reps)
    started = time.perf_counter()
    pruned = await store.prune(NOW + timedelta(seconds=1), timedelta(seconds=1))
    prune_seconds = time.perf_counter() - started
    started = time.perf_counter()
    compacted = await store.compact()
    compact_seconds = time.perf_counter() - started
    after = size(store)
    pruned_times, _ = await _time_searches(store, corpus, max(1, args.reps // 2))
    await store.close()
    full = (before - empty) / args.articles
    kept = (after - empty) / args.articles
    year = PER_DAY * KEPT_DAYS * full + PER_DAY * (YEAR - KEPT_DAYS) * kept
    return {
        "backend": label,
        "articles": args.articles,
        "load_articles_per_second": rate,
        "search": {
            "runs": len(times),
            "median_ms": statistics.median(times),
            "p95_ms": _p95(times),
            "max_ms": max(times),
            "per_query": per_query,
            "after_pruning_median_ms": statistics.median(pruned_times),
            "after_pruning_p95_ms": _p95(pruned_times),
        },
        "size": {
            "empty_schema_bytes": empty,
            "bytes_per_article": full,
            "bytes_per_article_pruned": kept,
            "pruned_articles": pruned,
            "prune_seconds": prune_seconds,
            "compact": compacted,
            "compact_seconds": compact_seconds,
            "year_bytes": year,
            "year_without_retention_bytes": PER_DAY * YEAR * full,
        },
    }


def _print(result: dict[str, Any]) -> None:
    s, z = result["search"], result["size"]
    print(
        f"\n== {result['backend']}: {result['articles']:,} articles "
        f"(stored at {result['load_articles_per_second']:.0f} articles/s)"
    )
    print(
        f"search, {s['runs']} runs: median {s['median_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms, "
        f"max {s['max_ms']:.2f} ms; after pruning: median {s['after_pruning_median_ms']:.2f} "
        f"ms, p95 {s['after_pruning_p95_ms']:.2f} ms"
    )
    for label, q in s["per_query"].items():
        print(f"  {label:<13} {q['median_ms']:8.2f} ms  {q['hits']:>3} hits  {q['query']!r}")
    print(
        f"bytes per article: {z['bytes_per_article']:,.0f} with its text, "
        f"{z['bytes_per_article_pruned']:,.0f} after pruning ({z['pruned_articles']:,} texts "
        f"pruned in {z['prune_seconds']:.1f} s; compact: {z['compact']} in "
        f"{z['compact_seconds']:.1f} s)"
    )
    print(
        f"a year at {PER_DAY:,} articles a day, texts kept {KEPT_DAYS} days: "
        f"{z['year_bytes'] / 1e9:.2f} GB (every text kept: "
        f"{z['year_without_retention_bytes'] / 1e9:.2f} GB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--database", metavar="URL", help="also PostgreSQL, on this server")
    parser.add_argument("--reps", type=int, default=10, help="runs of each query")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    results = []
    folder = Path(tempfile.mkdtemp(prefix="monitor-history-"))
    path = folder / "history.db"
    results.append(asyncio.run(measure("sqlite", lambda: SqliteStore(path), _sqlite_size, args)))
    _print(results[-1])
    path.unlink()
    if args.database:
        target = ServerDatabase(args.database, "monitor_history")
        try:
            results.append(
                asyncio.run(
                    measure("postgresql", lambda: PostgresStore(target.url), _pg_size, args)
                )
            )
        finally:
            target.drop()
        _print(results[-1])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"results": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
