"""Matching benchmark: the compiled matcher against a naive regex-per-rule baseline.

Usage:
    python benchmarks/matching.py [--articles 2000] [--rules 1000 10000]
        [--baseline-articles 200] [--json benchmarks/results/matching.json]

Generates realistic rules (3-15 terms: words, phrases, prefix wildcards, proximity, field
scopes, NOT) over the vocabulary of the sample articles, and article variants of those
articles. Both matchers run in the same process on the same articles; the baseline compiles
every term of every rule to a Python regex and evaluates the rules one by one.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from monitor.demo import sample_pages
from monitor.extraction import extract_article
from monitor.matching.compiled import CompiledRules
from monitor.matching.evaluate import (
    Document,
    Finder,
    Positions,
    evaluate,
    regex_finder,
    window_starts,
)
from monitor.matching.query import Node, Term, fold, literal_terms, parse_query, words
from monitor.records import Article


def vocabulary(articles: list[Article], rng: random.Random, invented: int = 3000) -> list[str]:
    """Every word of the articles plus invented names: a deployment's rules watch many
    topics, most of which a given article does not mention."""
    seen = sorted({w for a in articles[:5] for w in words(a.text) if len(w) > 3})
    syllables = ["ka", "ro", "vi", "len", "mar", "tos", "ni", "bor", "sla", "dan", "gri", "pol"]
    names = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(invented)
    }
    return seen + sorted(names)


def random_rule(rng: random.Random, vocab: list[str], phrases: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(3, 15)):
        kind = rng.random()
        if kind < 0.45:
            term = rng.choice(vocab)
        elif kind < 0.65:
            term = f'"{rng.choice(phrases)}"'
        elif kind < 0.75:
            term = rng.choice(vocab)[:5] + "*"
        elif kind < 0.85:
            term = f'"{rng.choice(vocab)} {rng.choice(vocab)}"~{rng.randint(3, 15)}'
        else:
            term = f"{rng.choice(['title', 'text'])}:{rng.choice(vocab)}"
        parts.append(term)
    groups, i = [], 0
    while i < len(parts):
        size = rng.randint(1, 3)
        groups.append("(" + " OR ".join(parts[i : i + size]) + ")")
        i += size
    query = " AND ".join(groups)
    return query + (f" NOT {rng.choice(vocab)}" if rng.random() < 0.3 else "")


def article_variants(count: int, rng: random.Random) -> list[Article]:
    seeds = [
        extract_article(b, url=f"https://n.example/{n}") for n, b in sorted(sample_pages().items())
    ]
    out = []
    for i in range(count):
        seed = seeds[i % len(seeds)]
        paragraphs = list(seed.paragraphs)
        rng.shuffle(paragraphs)
        out.append(replace(seed, paragraphs=tuple(paragraphs[: rng.randint(4, len(paragraphs))])))
    return out


def naive_matcher(queries: list[Node]) -> Callable[[Mapping[str, str]], list[int]]:
    """Every term compiled to a regex up front; every rule evaluated for every article."""
    patterns: dict[Term, re.Pattern[str]] = {}
    for query in queries:
        for term in literal_terms(query):
            if term.slop is not None:
                continue
            body = r"\W+".join(re.escape(w) for w in term.words)
            end = "" if term.prefix else r"\b"
            patterns[term] = re.compile(rf"\b{body}{end}")

    def match(texts: Mapping[str, str]) -> list[int]:
        folded = {k: fold(v) for k, v in texts.items()}
        document = Document.of(texts)
        starts = {k: _word_starts(v) for k, v in folded.items()}

        def find(term: Term) -> Positions:
            found: Positions = {}
            for name in term.fields:
                if term.slop is not None:
                    tokens = document.fields.get(name, ())
                    where = [[i for i, t in enumerate(tokens) if t == w] for w in term.words]

                    spots = window_starts(where, term.slop)
                else:
                    spots = [
                        starts[name][m.start()]
                        for m in patterns[term].finditer(folded.get(name, ""))
                        if m.start() in starts[name]
                    ]
                if spots:
                    found[name] = spots
            return found

        finder = Finder(find, regex_finder(document, timeout=1.0))
        return [i for i, q in enumerate(queries) if evaluate(q, finder).matched]

    return match


def _word_starts(text: str) -> dict[int, int]:
    return {m.start(): i for i, m in enumerate(re.finditer(r"\w+", text))}


def fields(article: Article) -> dict[str, str]:
    return {"title": article.title or "", "text": article.text}


def time_per_article(
    match: Callable[[Mapping[str, str]], object], articles: list[Article]
) -> list[float]:
    times = []
    for article in articles:
        texts = fields(article)
        started = time.perf_counter()
        match(texts)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rules", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--baseline-articles", type=int, default=200, help="articles for the (slow) naive baseline"
    )
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/matching.json"))
    args = parser.parse_args()
    rng = random.Random(11)
    articles = article_variants(args.articles, rng)
    vocab = vocabulary(articles, rng)
    phrases = [" ".join(words(a.text)[i : i + 2]) for a in articles[:5] for i in range(0, 200, 7)]
    phrases = [p for p in phrases if " " in p]
    results = {}
    print(
        f"{'rules':>6} {'compiled ms/article (median, p95)':>36} {'naive ms/article':>17} "
        f"{'ratio':>7} {'compiled memory':>16}"
    )
    for count in args.rules:
        queries = [parse_query(random_rule(rng, vocab, phrases)) for _ in range(count)]
        tracemalloc.start()
        compiled = CompiledRules(queries)
        memory = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        ours = time_per_article(compiled.match, articles)
        naive = time_per_article(naive_matcher(queries), articles[: args.baseline_articles])
        ratio = statistics.median(naive) / statistics.median(ours)
        results[count] = {
            "articles": len(articles),
            "median_ms": statistics.median(ours),
            "p95_ms": sorted(ours)[int(len(ours) * 0.95)],
            "naive_articles": len(naive),
            "naive_median_ms": statistics.median(naive),
            "ratio": ratio,
            "compiled_memory_bytes": memory,
        }
        print(
            f"{count:>6} {statistics.median(ours):>20.3f}, {results[count]['p95_ms']:>8.3f} "
            f"{statistics.median(naive):>17.2f} {ratio:>6.1f}x {memory / 1e6:>13.1f} MB"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
