"""Extraction benchmark: trafilatura alone vs. monitor's extractor, on the same pages.

Usage:
    python benchmarks/extraction.py PATH/TO/article-extraction-benchmark [--json out.json]

The data folder is scrapinghub/article-extraction-benchmark's data (html/*.html.gz and
ground-truth.json). The score is the benchmark's own metric: 4-token shingles of `\\w+` tokens,
per-page tp/fp/fn normalised by their sum, precision and recall averaged over pages, F1 from
the means. Speed is pages per second on one core, best of --repeat runs, both extractors
timed in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from monitor.errors import ExtractionError
from monitor.extraction import extract_article, load_boilerplate

_TOKEN = re.compile(r"\w+")
Extractor = Callable[[bytes, str], str]


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def page_counts(predicted: str, truth: str) -> tuple[float, float, float]:
    """tp, fp, fn for one page, divided by their sum so every page weighs the same."""
    pred, gold = shingles(predicted), shingles(truth)
    tp = sum((pred & gold).values())
    fp = sum((pred - gold).values())
    fn = sum((gold - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def score(results: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    precisions, recalls = [], []
    for page_id, gold in truth.items():
        tp, fp, fn = page_counts(results.get(page_id, ""), gold)
        if fp == 0 and fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    p = sum(precisions) / len(precisions)
    r = sum(recalls) / len(recalls)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def trafilatura_alone(body: bytes, url: str) -> str:
    del url
    return trafilatura.extract(body.decode("utf-8", "replace"), include_comments=False) or ""


def monitor_extractor() -> Extractor:
    boilerplate = load_boilerplate()

    def run(body: bytes, url: str) -> str:
        try:
            article = extract_article(body, url=url, boilerplate=boilerplate)
        except ExtractionError:
            return ""
        return article.text

    return run


def run_all(
    extractor: Extractor, pages: dict[str, tuple[bytes, str]]
) -> tuple[dict[str, str], float]:
    started = time.perf_counter()
    results = {page_id: extractor(body, url) for page_id, (body, url) in pages.items()}
    return results, time.perf_counter() - started


def load(data: Path, limit: int | None) -> tuple[dict[str, tuple[bytes, str]], dict[str, str]]:
    truth_file = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth_file)[:limit]
    pages = {
        i: (
            gzip.decompress((data / "html" / f"{i}.html.gz").read_bytes()),
            truth_file[i].get("url") or "",
        )
        for i in ids
    }
    return pages, {i: truth_file[i]["articleBody"] for i in ids}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path, help="the article-extraction-benchmark folder")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/extraction.json"))
    parser.add_argument("--repeat", type=int, default=2, help="timing runs per extractor")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    args = parser.parse_args()

    pages, truth = load(args.data, args.limit)
    extractors: dict[str, Extractor] = {
        "trafilatura alone": trafilatura_alone,
        "monitor": monitor_extractor(),
    }
    figures: dict[str, dict[str, float]] = {}
    timings: dict[str, list[float]] = {name: [] for name in extractors}
    outputs: dict[str, dict[str, str]] = {}
    for _ in range(args.repeat):  # interleaved, so both see the same machine state
        for name, extractor in extractors.items():
            outputs[name], seconds = run_all(extractor, pages)
            timings[name].append(seconds)
    for name in extractors:
        figures[name] = {
            **score(outputs[name], truth),
            "pages_per_second": len(pages) / min(timings[name]),
        }
    base, ours = figures["trafilatura alone"], figures["monitor"]
    ratios = {
        "f1_delta": ours["f1"] - base["f1"],
        "precision_delta": ours["precision"] - base["precision"],
        "speed_ratio": ours["pages_per_second"] / base["pages_per_second"],
    }

    print(f"{len(pages)} pages, trafilatura {trafilatura.__version__}\n")
    print(f"{'extractor':20} {'precision':>9} {'recall':>7} {'F1':>6} {'pages/s':>8}")
    for name, f in figures.items():
        print(
            f"{name:20} {f['precision']:9.3f} {f['recall']:7.3f} {f['f1']:6.3f} "
            f"{f['pages_per_second']:8.1f}"
        )
    print(
        f"\nmonitor vs trafilatura: F1 {ratios['f1_delta']:+.3f}, precision "
        f"{ratios['precision_delta']:+.3f}, speed x{ratios['speed_ratio']:.2f}"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "pages": len(pages),
                "trafilatura": trafilatura.__version__,
                "extractors": figures,
                "comparison": ratios,
            },
            indent=2,
        )
    )
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
