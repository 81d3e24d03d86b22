"""Story benchmark: does the pipeline group re-reports of one statement into one story?

Usage:
    python benchmarks/stories.py ARTICLES_DIR [--labels benchmarks/story_set/labels.yaml]
        [--orders 20] [--seed 1] [--window-days 14] [--verbose] [--json FILE]

ARTICLES_DIR holds the labelled texts (NNN.txt: the title, a blank line, then paragraphs
separated by blank lines); they are not in the repository (benchmarks/story_set/README.md).

Each article, in publication order and in --orders seeded random orders, goes through what the
processor and the writer do: statements are extracted and dated (monitor/runtime/work.py),
stored, and `choose_story` decides the story against the candidates that
monitor/storage/sqlite/stories.py would load (statements of other articles already in stories,
same speaker, not background, article dates within the window, one per distinct words and
occasion). The stores are in memory; the logic is the project's own.

Scores are pairwise over articles, by each article's main (first) labelled statement:
precision = of the article pairs put in one story, the share that report one statement;
recall = of the pairs that report one statement, the share put in one story.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from monitor.matching.keywords import sentences
from monitor.matching.rules import shipped_rules_dir
from monitor.records import Statement, StoredStatement
from monitor.statements import SpeakerList, extract_statements, load_speakers
from monitor.statements.fingerprint import content_words, same_statement
from monitor.statements.occasion import dated
from monitor.statements.speakers import fold
from monitor.statements.stories import choose_story

DEFAULT_LABELS = Path(__file__).resolve().parent / "story_set" / "labels.yaml"
DEFAULT_WINDOW = timedelta(days=14)  # monitor.config.StatementsConfig.window


@dataclass(frozen=True)
class Labelled:
    """One article of the set: its text and what it reports (main statement first)."""

    name: str
    published: date
    paragraphs: tuple[str, ...]
    stories: tuple[str, ...]
    speakers: tuple[str, ...]

    @property
    def story(self) -> str:
        return self.stories[0]

    @property
    def speaker(self) -> str:
        return self.speakers[0]


@dataclass(frozen=True)
class Outcome:
    """What the simulated pipeline made of one article."""

    statements: tuple[Statement, ...]
    story_id: int | None  # the story it opened or joined
    story_speaker: str | None  # whose statement keys that story
    joined: bool  # joined an earlier story (rather than opened one)


@dataclass
class _Store:
    """The statements table, in memory: (article, stored statement, said_at)."""

    rows: list[tuple[str, StoredStatement, date]] = field(default_factory=list)
    story_speakers: dict[int, str] = field(default_factory=dict)
    next_statement: int = 1
    next_story: int = 1


def load_set(articles_dir: Path, labels: Path) -> list[Labelled]:
    """The labelled articles whose text is in `articles_dir` (a missing file is an error)."""
    items = yaml.safe_load(labels.read_text(encoding="utf-8"))["articles"]
    found = []
    for item in items:
        path = articles_dir / item["file"]
        if not path.is_file():
            raise SystemExit(f"{path}: missing (see benchmarks/story_set/README.md)")
        blocks = [b.strip() for b in path.read_text(encoding="utf-8").split("\n\n")]
        statements = item["statements"]
        found.append(
            Labelled(
                name=item["file"],
                published=date.fromisoformat(str(item["published"])),
                paragraphs=tuple(b for b in blocks[1:] if b),  # the title is not body text
                stories=tuple(s["story"] for s in statements),
                speakers=tuple(s["speaker"] for s in statements),
            )
        )
    return found


def analyse(article: Labelled, speakers: SpeakerList) -> tuple[Statement, ...]:
    """Statements as the processor stores them: extracted, dated, fingerprinted."""
    found = extract_statements(article.paragraphs, speakers)
    return tuple(
        replace(s, words=content_words(s.quote))
        for s in dated(found, sentences(article.paragraphs), article.published)
    )


def _stored(store: _Store, statements: Sequence[Statement]) -> list[StoredStatement]:
    stored = []
    for s in statements:
        stored.append(
            StoredStatement(
                id=store.next_statement,
                story_id=None,
                speaker=s.speaker,
                quote=s.quote,
                kind=s.kind,
                background=s.background,
                occasion=s.occasion,
                words=s.words,
                setting=s.setting,
            )
        )
        store.next_statement += 1
    return stored


def candidates(
    store: _Store, name: str, stored: Sequence[StoredStatement], said: date, window: timedelta
) -> list[StoredStatement]:
    """As storage/sqlite/stories.py `story_candidates`: one row (the oldest) per story,
    speaker, words (else quote) and occasion, oldest first."""
    speakers = {s.speaker for s in stored if not s.background}
    groups: dict[tuple[object, ...], StoredStatement] = {}
    for article, row, said_at in store.rows:
        if (
            row.speaker in speakers
            and row.story_id is not None
            and not row.background
            and article != name
            and said - window <= said_at <= said + window
        ):
            key = (
                row.story_id,
                row.speaker,
                " ".join(sorted(row.words)) or row.quote,
                row.occasion,
                row.setting,
            )
            if key not in groups or row.id < groups[key].id:
                groups[key] = row
    return sorted(groups.values(), key=lambda r: r.id)


def assign(
    store: _Store,
    article: Labelled,
    statements: tuple[Statement, ...],
    window: timedelta,
) -> Outcome:
    """Store the article's statements and decide its story (storage `_assign_story`)."""
    stored = _stored(store, statements)
    choice = choose_story(
        stored, candidates(store, article.name, stored, article.published, window)
    )
    story_id, joined = choice.story_id, choice.story_id is not None
    if story_id is None and choice.new_key is not None:
        story_id = store.next_story
        store.next_story += 1
        store.story_speakers[story_id] = choice.new_key.speaker
    for row in stored:
        if story_id is not None and not row.background:
            row = replace(row, story_id=story_id)
        store.rows.append((article.name, row, article.published))
    return Outcome(
        statements=statements,
        story_id=story_id,
        story_speaker=store.story_speakers.get(story_id) if story_id is not None else None,
        joined=joined,
    )


def simulate(
    articles: Sequence[Labelled],
    analysed: dict[str, tuple[Statement, ...]],
    window: timedelta = DEFAULT_WINDOW,
) -> dict[str, Outcome]:
    """Every article in the given order through the story decision."""
    store = _Store()
    return {a.name: assign(store, a, analysed[a.name], window) for a in articles}


def pairwise(gold: dict[str, str], predicted: dict[str, int | None]) -> dict[str, float | int]:
    """Pairwise precision and recall of a grouping (None: in no story, joined to nothing)."""
    names = sorted(gold)
    both = pred_same = gold_same = 0
    for a, b in itertools.combinations(names, 2):
        g = gold[a] == gold[b]
        p = predicted[a] is not None and predicted[a] == predicted[b]
        gold_same += g
        pred_same += p
        both += g and p
    return {
        "precision": both / pred_same if pred_same else 1.0,
        "recall": both / gold_same if gold_same else 1.0,
        "pairs_predicted": pred_same,
        "pairs_gold": gold_same,
        "pairs_right": both,
    }


def same_person(found: str, gold: str) -> bool:
    """The extracted name is the labelled person: the same name, or a part of it that
    includes the surname (`Ardern`, `Tedros Adhanom Ghebreyesus` vs `Tedros`)."""
    f, g = fold(found).split(), fold(gold).split()
    if f == g:
        return True
    return bool(f) and set(f) <= set(g) and (f[-1] == g[-1] or f[0] == g[0])


def speaker_facts(article: Labelled, statements: Iterable[Statement]) -> dict[str, Any]:
    names = sorted({s.speaker for s in statements if not s.background})
    return {
        "speakers": names,
        "gold_found": any(same_person(n, article.speaker) for n in names),
        "gold_exact": any(fold(n) == fold(article.speaker) for n in names),
    }


def scores(articles: Sequence[Labelled], outcomes: dict[str, Outcome]) -> dict[str, float | int]:
    return pairwise(
        {a.name: a.story for a in articles}, {n: o.story_id for n, o in outcomes.items()}
    )


def failures(articles: Sequence[Labelled], outcomes: dict[str, Outcome]) -> list[tuple[str, str]]:
    """(kind, line) for each wrong decision, in the order the articles came."""
    found: list[tuple[str, str]] = []
    seen: list[Labelled] = []
    for a in articles:
        o = outcomes[a.name]
        head = f"{a.name} [{a.story}]"
        facts = speaker_facts(a, o.statements)
        if not o.statements:
            found.append(("no statement found", head))
        elif not facts["gold_found"]:
            found.append(("gold speaker not found", f"{head}: found {facts['speakers']}"))
        elif o.story_speaker is not None and not same_person(o.story_speaker, a.speaker):
            found.append(("story keyed on another speaker", f"{head}: {o.story_speaker}"))
        wrong = next(
            (
                x
                for x in seen
                if o.story_id is not None
                and outcomes[x.name].story_id == o.story_id
                and x.story != a.story
            ),
            None,
        )
        if wrong is not None:
            kind = "same speaker, other occasion" if wrong.speaker == a.speaker else "other speaker"
            found.append((f"wrongly joined ({kind})", f"{head} with {wrong.name} [{wrong.story}]"))
        earlier = [x for x in seen if x.story == a.story and outcomes[x.name].story_id is not None]
        if (
            o.story_id is not None
            and earlier
            and all(outcomes[x.name].story_id != o.story_id for x in earlier)
        ):
            kind = _split_kind(a, o, [outcomes[x.name] for x in earlier])
            found.append((f"not joined ({kind})", f"{head}: earlier {[x.name for x in earlier]}"))
        seen.append(a)
    return found


def _split_kind(article: Labelled, outcome: Outcome, earlier: Sequence[Outcome]) -> str:
    """Why a report of a story already open went elsewhere."""
    mine = [s for s in outcome.statements if not s.background]
    theirs = [s for e in earlier for s in e.statements if not s.background]
    names = {s.speaker for s in theirs}
    if not any(s.speaker in names for s in mine):
        return "speaker named differently"
    for s in mine:
        for t in theirs:
            if s.speaker == t.speaker and same_statement(
                s.speaker, s.quote, t.speaker, t.quote, s.words or None, t.words or None
            ):
                return "occasion dates differ"
    return "no shared words: other sentence or paraphrase"


def detail(articles: Sequence[Labelled], outcomes: dict[str, Outcome]) -> list[str]:
    """Per gold story: its articles, the story each went to, the speakers and quotes found."""
    lines = []
    stories: dict[str, list[Labelled]] = defaultdict(list)
    for a in articles:
        stories[a.story].append(a)
    for story, members in sorted(stories.items()):
        lines.append(f"{story} ({members[0].speaker})")
        for a in members:
            o = outcomes[a.name]
            mark = "joined" if o.joined else ("opened" if o.story_id is not None else "none")
            lines.append(
                f"  {a.name} {a.published} -> story {o.story_id} ({mark}, keyed on "
                f"{o.story_speaker})"
            )
            for s in o.statements:
                day = f" on {s.occasion}" if s.occasion else ""
                day += f" at {s.setting}" if s.setting else ""
                bg = " background" if s.background else ""
                lines.append(f"      {s.speaker}{day}{bg} [{s.kind}]: {s.quote[:90]!r}")
    return lines


def run(
    articles: Sequence[Labelled],
    speakers: SpeakerList,
    orders: int = 10,
    seed: int = 1,
    window: timedelta = DEFAULT_WINDOW,
) -> dict[str, Any]:
    """Figures for publication order and for `orders` seeded random orders."""
    analysed = {a.name: analyse(a, speakers) for a in articles}
    published = sorted(articles, key=lambda a: (a.published, a.name))
    outcomes = simulate(published, analysed, window)
    facts = {a.name: speaker_facts(a, analysed[a.name]) for a in articles}
    randoms = []
    rng = random.Random(seed)
    for _ in range(orders):
        shuffled = list(articles)
        rng.shuffle(shuffled)
        randoms.append(scores(shuffled, simulate(shuffled, analysed, window)))
    return {
        "articles": len(articles),
        "stories": len({a.story for a in articles}),
        "speakers": len({a.speaker for a in articles}),
        "publication_order": scores(published, outcomes),
        "random_orders": _summary(randoms),
        "no_statements": sorted(n for n, s in analysed.items() if not s),
        "gold_speaker_missing": sorted(
            n for n, f in facts.items() if analysed[n] and not f["gold_found"]
        ),
        "gold_speaker_partial_name": sorted(
            n for n, f in facts.items() if f["gold_found"] and not f["gold_exact"]
        ),
        "keyed_on_other_speaker": sorted(
            a.name
            for a in articles
            if outcomes[a.name].story_speaker is not None
            and not same_person(outcomes[a.name].story_speaker or "", a.speaker)
        ),
        "not_in_a_story": sorted(n for n, o in outcomes.items() if o.story_id is None),
        "failures": failures(published, outcomes),
        "detail": detail(published, outcomes),
    }


def _summary(runs: Sequence[dict[str, float | int]]) -> dict[str, float]:
    if not runs:
        return {}
    out: dict[str, float] = {"orders": len(runs)}
    for key in ("precision", "recall"):
        values = [float(r[key]) for r in runs]
        out[f"{key}_mean"] = statistics.fmean(values)
        out[f"{key}_min"] = min(values)
    return out


def report(result: dict[str, Any], verbose: bool) -> str:
    pub, rnd = result["publication_order"], result["random_orders"]
    lines = [
        f"{result['articles']} articles, {result['stories']} stories (main statements), "
        f"{result['speakers']} main speakers",
        f"publication order: precision {pub['precision']:.3f} recall {pub['recall']:.3f} "
        f"(pairs predicted {pub['pairs_predicted']}, gold {pub['pairs_gold']}, "
        f"right {pub['pairs_right']})",
    ]
    if rnd:
        lines.append(
            f"{rnd['orders']:.0f} random orders: precision mean {rnd['precision_mean']:.3f} "
            f"min {rnd['precision_min']:.3f}; recall mean {rnd['recall_mean']:.3f} "
            f"min {rnd['recall_min']:.3f}"
        )
    for key in (
        "no_statements",
        "gold_speaker_missing",
        "gold_speaker_partial_name",
        "keyed_on_other_speaker",
        "not_in_a_story",
    ):
        names = result[key]
        lines.append(f"{key.replace('_', ' ')}: {len(names)} {' '.join(names)}".rstrip())
    kinds = Counter(kind for kind, _ in result["failures"])
    lines.append("failures (publication order): " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    lines.extend(f"  {kind}: {line}" for kind, line in result["failures"])
    if verbose:
        lines.append("per story:")
        lines.extend(result["detail"])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles_dir", type=Path)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--orders", type=int, default=10, help="random orders besides date order")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window-days", type=float, default=DEFAULT_WINDOW.days)
    parser.add_argument("--speakers", type=Path, default=shipped_rules_dir() / "speakers.yaml")
    parser.add_argument("--verbose", action="store_true", help="per-story detail")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    articles = load_set(args.articles_dir, args.labels)
    result = run(
        articles,
        load_speakers(args.speakers),
        orders=args.orders,
        seed=args.seed,
        window=timedelta(days=args.window_days),
    )
    print(report(result, args.verbose))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
