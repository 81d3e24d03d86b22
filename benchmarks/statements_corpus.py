"""Statement extraction scored against PolNeAR, a hand-annotated attribution corpus.

Usage:
    python benchmarks/statements_corpus.py DATA_DIR [--split train|dev|both] [--json OUT]
        [--errors N] [--headline] [--speakers FILE]

DATA_DIR is the PolNeAR folder (its DATA.md describes the layout: SPLIT/text/*.txt,
SPLIT/attributions/*_ANNOTATOR.ann, SPLIT/corenlp_slim.jsonl). Files are read in place;
nothing of the corpus is copied. Use train to work out a method, dev only to measure it.

Input. Each article is fed to `extract_statements` as the pipeline feeds it: non-blank lines,
stripped, as paragraphs. The pipeline passes `article.paragraphs`, from which extraction's
lede pass removes a repeated title, so the headline (first line) is left out, and gold
relations whose content lies in it are not scored; `--headline` passes it as the first
paragraph instead. Predicted offsets are mapped back to .txt offsets.

Gold. One annotation file per article (the alphabetically first annotator). A relation is a
*quote* when some words of its Content lie inside double quotation marks (straight or curly;
tracked per paragraph, a quote left open ends with its paragraph). Its gold text is the
quoted part of the content. Kinds:
  - quotation: at least half of the content's words are quoted (scored as the main figure);
  - fragment: a quoted fragment inside a paraphrase (fewer than half quoted), recall only;
  - no-source: an Attribution-no-source relation with quoted content; neutral;
  - nested: the cue itself is inside quotation marks (an attribution reported by the quoted
    speaker, not by the journalist: "we told them"); neutral.

Matching. Predicted quotes are the statements of kind 'direct'; words are case-folded word
tokens, compared as multisets. A prediction goes to the gold quote with which it shares the
most words, when that is at least half of the prediction's words (ties: one whose span
overlaps the prediction's, then quotations first). A gold quote is *found* when the
predictions that went to it cover at least half of its words. For one prediction per gold
this is the rule "they share at least half of the words of the longer one", matched one to
one; it also lets a quote split by "he said" (one gold relation, two predicted quotes) count
as found. A prediction adding less than half of its words to what earlier ones covered is a
duplicate. Predictions that went to a fragment, no-source or nested quote are neither right
nor wrong for the quotation figures (the extractor cannot tell a quoted fragment from a
quotation by the marks alone, and fragments have their own recall); every other prediction
is a false positive: quoted text no annotator attributed (scare quotes, titles), a quote
inside a non-quote content, a partial hit, or a duplicate.

Attribution. For a found quotation, the speaker of its best prediction against the gold
Source. Gold names: the PERSON/ORGANIZATION token runs inside the source span (else its
capitalised words, else its content words: "the campaign"). A pronoun source (he, she,
they, I, we…) is resolved through CoreNLP coreference: the chain with a mention overlapping
it, its representative mention, or if that is a pronoun the longest non-pronoun mention
holding a PERSON/ORGANIZATION token; otherwise it is *unresolvable*, counted, and left out of
the attribution and end-to-end figures. Names match when, case-folded and without titles
(Mr., Sen., President…), possessives and stop words, one's token set contains the other's:
"Clinton" matches "Hillary Clinton" both ways, "Bill Clinton" does not match "Hillary
Clinton". The rule is lenient with role phrases ("a Clinton spokesman" gives "clinton").

End to end. A prediction is right when it is a true positive and its speaker matches its gold
quotation's source; a gold quotation is found end to end when found with the right speaker.

Broken speaker names, over all predicted statements (direct and indirect): a speaker is
broken when a token is a title (`Mr. Trump`), when an initial stands in place of the first
name (`E. Clyburn`), when a token starts lowercase and is not a name particle (de, van, von,
la, bin, al…), when a token is a fragment (one letter, not an initial with a dot), or when
no token of it is tagged PERSON or ORGANIZATION anywhere in the article by CoreNLP (catches
capitalised sentence openers: `Though`, `However`, `Democrats`). See polnear.broken_reason.

Timing: median milliseconds per article of extract_statements alone.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import polnear as pn

from monitor.records import Statement
from monitor.statements import extract_statements, load_speakers
from monitor.statements.patterns import SPEECH_VERBS
from monitor.statements.speakers import SpeakerList
from monitor.text import SENTENCE_END

SCORED = "quotation"
NEUTRAL = frozenset({"fragment", "no-source", "nested"})
_SPEECH_VERB = re.compile(rf"^(?:{SPEECH_VERBS})$")


@dataclass
class Gold:
    article: str
    rid: str
    kind: str
    pieces: pn.Spans  # quoted parts of the content, .txt offsets
    words: Counter[str]
    source: pn.Spans
    cue: pn.Spans
    content: pn.Spans
    names: list[tuple[str, ...]] | None  # None: pronoun not resolved
    pronoun: bool
    chain: list[tuple[str, ...]] = field(default_factory=list)  # names of its coref chains


@dataclass
class Predicted:
    article: str
    statement: Statement
    span: pn.Spans  # .txt offsets
    words: Counter[str]
    gold: Gold | None = None
    verdict: str = ""  # tp, fp-*, neutral-*


@dataclass
class Article:
    name: str
    text: str
    golds: list[Gold]
    predicted: list[Predicted]
    others: list[pn.Spans]  # contents of relations that are not quotes
    statements: list[Statement]
    ner: frozenset[str] | None
    millis: float
    found: dict[int, list[Predicted]] = field(default_factory=dict)  # id(gold) -> preds


# --- gold ----------------------------------------------------------------------------------


def gold_kind(relation: pn.Relation, text: str, quoted: Sequence[tuple[int, int]]) -> str | None:
    """quotation, fragment, no-source, nested, or None when nothing of the content is quoted."""
    share = pn.quoted_share(text, relation.content, quoted)
    if share == 0:
        return None
    if relation.cue and pn.inside(relation.cue[0][0], quoted):
        return "nested"
    if relation.kind != "Attribution" or not relation.source:
        return "no-source"
    return "quotation" if share >= 0.5 else "fragment"


def read_gold(
    name: str, text: str, relations: list[pn.Relation], nlp: pn.Nlp | None, body_start: int
) -> tuple[list[Gold], list[pn.Spans]]:
    quoted = pn.quoted_intervals(text)
    golds: list[Gold] = []
    others: list[pn.Spans] = []
    for relation in relations:
        if not relation.content or relation.content[0][0] < body_start:
            continue
        kind = gold_kind(relation, text, quoted)
        if kind is None:
            others.append(relation.content)
            continue
        pieces = pn.quoted_pieces(relation.content, quoted)
        source_text = " ".join(text[b:e] for b, e in relation.source)
        golds.append(
            Gold(
                article=name,
                rid=relation.rid,
                kind=kind,
                pieces=pieces,
                words=Counter(pn.words(" ".join(text[b:e] for b, e in pieces))),
                source=relation.source,
                cue=relation.cue,
                content=relation.content,
                names=pn.gold_names(text, relation.source, nlp),
                pronoun=pn.is_pronoun(source_text),
                chain=pn.chain_names(text, relation.source, nlp),
            )
        )
    return golds, others


# --- matching ------------------------------------------------------------------------------


def assign(predicted: list[Predicted], golds: list[Gold]) -> dict[int, list[Predicted]]:
    """Give each prediction its gold quote and decide which golds are found (module doc)."""
    rank = {SCORED: 2, "fragment": 1}
    for pred in predicted:
        size = pred.words.total()
        best: tuple[bool, int, int] | None = None
        for gold in golds:
            shared = pn.overlap(pred.words, gold.words)
            if size and shared * 2 >= size:
                key = (pn.spans_overlap(pred.span, gold.pieces), shared, rank.get(gold.kind, 0))
                if best is None or key > best:
                    best, pred.gold = key, gold
    found: dict[int, list[Predicted]] = {}
    for gold in golds:
        mine = [p for p in predicted if p.gold is gold]
        mine.sort(key=lambda p: -pn.overlap(p.words, gold.words))
        covered: Counter[str] = Counter()
        useful = []
        for pred in mine:
            fresh = pn.overlap(pred.words, gold.words - covered)
            if fresh * 2 >= pred.words.total():
                covered += pred.words & gold.words
                useful.append(pred)
            else:
                pred.gold, pred.verdict = None, "fp-duplicate"
        if useful and covered.total() * 2 >= gold.words.total():
            found[id(gold)] = useful
    return found


def judge(article: Article) -> None:
    """Set each prediction's verdict after `assign`."""
    for pred in article.predicted:
        if pred.verdict:
            continue
        gold = pred.gold
        if gold is not None and gold.kind in NEUTRAL:
            pred.verdict = f"neutral-{gold.kind}"
        elif gold is not None:
            pred.verdict = "tp" if id(gold) in article.found else "fp-partial"
        elif any(pn.spans_overlap(pred.span, c) for c in article.others):
            pred.verdict = "fp-inside-paraphrase"
        elif any(pn.spans_overlap(pred.span, g.content) for g in article.golds):
            pred.verdict = "fp-inside-quote-relation"
        else:
            pred.verdict = "fp-unattributed"


def speaker_right(pred: Predicted) -> bool | None:
    """None when the gold source cannot be named (unresolved pronoun)."""
    if pred.gold is None or pred.gold.names is None:
        return None
    return pn.names_match(pred.statement.speaker, pred.gold.names)


# --- one article -------------------------------------------------------------------------


def run_article(
    name: str, folder: Path, ann: Path, nlp: pn.Nlp | None, options: argparse.Namespace
) -> Article:
    text = (folder / "text" / f"{name}.txt").read_text(encoding="utf-8")
    paras = pn.paragraphs(text, headline=options.headline)
    body_start = 0 if options.headline else paras.headline_end
    golds, others = read_gold(
        name, text, pn.parse_ann(ann.read_text(encoding="utf-8")), nlp, body_start
    )
    began = time.perf_counter()
    statements = extract_statements(paras.texts, options.speaker_list)
    millis = (time.perf_counter() - began) * 1000
    predicted = [
        Predicted(
            article=name,
            statement=s,
            span=((paras.to_txt(s.start), paras.to_txt(s.start) + s.end - s.start),),
            words=Counter(pn.words(s.quote)),
        )
        for s in statements
        if s.kind == "direct"
    ]
    article = Article(
        name, text, golds, predicted, others, statements, pn.ner_vocabulary(text, nlp), millis
    )
    article.found = assign(predicted, golds)
    judge(article)
    return article


def run_split(folder: Path, options: argparse.Namespace) -> list[Article]:
    corenlp = pn.load_corenlp(folder / "corenlp_slim.jsonl")
    annotations = pn.first_annotations(folder / "attributions")
    return [
        run_article(name, folder, ann, corenlp.get(name), options)
        for name, ann in sorted(annotations.items())
        if (folder / "text" / f"{name}.txt").exists()
    ]


# --- figures -------------------------------------------------------------------------------


def prf(right: int, predicted: int, gold: int) -> dict[str, float]:
    precision = right / predicted if predicted else 0.0
    recall = right / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def extraction_figures(articles: list[Article]) -> dict[str, Any]:
    preds = [p for a in articles for p in a.predicted]
    scored = [p for p in preds if not p.verdict.startswith("neutral")]
    golds = [(a, g) for a in articles for g in a.golds]
    quotations = [(a, g) for a, g in golds if g.kind == SCORED]
    found = [(a, g) for a, g in quotations if id(g) in a.found]
    fragments = [(a, g) for a, g in golds if g.kind == "fragment"]
    tp = sum(p.verdict == "tp" for p in scored)
    figures = prf(tp, len(scored), len(quotations))
    figures["recall"] = len(found) / len(quotations) if quotations else 0.0
    p, r = figures["precision"], figures["recall"]
    figures["f1"] = 2 * p * r / (p + r) if p + r else 0.0
    return {
        **figures,
        "gold_quotations": len(quotations),
        "found": len(found),
        "predicted_direct": len(preds),
        "scored_predictions": len(scored),
        "true_positives": tp,
        "verdicts": dict(Counter(p.verdict for p in preds).most_common()),
        "gold_kinds": dict(Counter(g.kind for _, g in golds).most_common()),
        "fragment_recall": (
            sum(id(g) in a.found for a, g in fragments) / len(fragments) if fragments else 0.0
        ),
    }


def lenient_right(pred: Predicted) -> bool:
    """Right speaker, also accepting any name of the source's coreference chains."""
    gold = pred.gold
    return gold is not None and pn.names_match(
        pred.statement.speaker, (gold.names or []) + gold.chain
    )


def best_prediction(article: Article, gold: Gold) -> Predicted:
    return article.found[id(gold)][0]


def attribution_figures(articles: list[Article]) -> dict[str, Any]:
    quotations = [(a, g) for a in articles for g in a.golds if g.kind == SCORED]
    resolvable = [(a, g) for a, g in quotations if g.names is not None]
    found = [(a, g) for a, g in resolvable if id(g) in a.found]
    right = [(a, g) for a, g in found if speaker_right(best_prediction(a, g))]
    preds = [
        p
        for a in articles
        for p in a.predicted
        if not p.verdict.startswith("neutral") and not (p.gold and p.gold.names is None)
    ]
    pred_right = sum(p.verdict == "tp" and bool(speaker_right(p)) for p in preds)
    e2e = prf(pred_right, len(preds), len(resolvable))
    e2e["recall"] = len(right) / len(resolvable) if resolvable else 0.0
    p, r = e2e["precision"], e2e["recall"]
    e2e["f1"] = 2 * p * r / (p + r) if p + r else 0.0
    unresolved = len(quotations) - len(resolvable)
    return {
        "attribution": len(right) / len(found) if found else 0.0,
        "attribution_lenient_coref": (
            sum(lenient_right(best_prediction(a, g)) for a, g in found) / len(found)
            if found
            else 0.0
        ),
        "attributed_quotes": len(found),
        "unresolvable_pronouns": unresolved,
        "pronoun_sources": sum(g.pronoun for _, g in quotations),
        "end_to_end": e2e,
    }


def broken_figures(articles: list[Article]) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    names: Counter[str] = Counter()
    total = 0
    for article in articles:
        for statement in article.statements:
            total += 1
            reason = pn.broken_reason(statement.speaker, article.ner)
            if reason is not None:
                reasons[reason] += 1
                names[statement.speaker] += 1
    return {
        "share": sum(reasons.values()) / total if total else 0.0,
        "speakers": total,
        "reasons": dict(reasons.most_common()),
        "top": names.most_common(20),
        "without_corenlp": sum(a.ner is None for a in articles),
    }


def figures(articles: list[Article]) -> dict[str, Any]:
    return {
        "articles": len(articles),
        "extraction": extraction_figures(articles),
        **attribution_figures(articles),
        "broken_speakers": broken_figures(articles),
        "median_ms_per_article": statistics.median(a.millis for a in articles) if articles else 0.0,
        "error_kinds": error_kinds(articles),
    }


# --- error kinds -------------------------------------------------------------------------


def _sentence_spans(text: str, position: int) -> list[tuple[int, int]]:
    """The sentences of the .txt paragraph holding `position`."""
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    end = len(text) if end < 0 else end
    cuts = [start] + [start + m.end() for m in SENTENCE_END.finditer(text[start:end])] + [end]
    return list(itertools.pairwise(cuts))


def cue_place(text: str, gold: Gold) -> str:
    """Where the cue sits: in a sentence holding part of the quote, elsewhere in the
    paragraph, or in another paragraph (a follow-on paragraph of a long quote)."""
    if not gold.cue or not gold.pieces:
        return "no cue"
    sentences = _sentence_spans(text, gold.pieces[0][0])
    holding = [s for s in sentences if pn.spans_overlap((s,), gold.pieces)]
    if any(pn.spans_overlap((s,), gold.cue) for s in holding):
        return "same sentence"
    paragraph = (sentences[0][0], sentences[-1][1])
    return "same paragraph" if pn.spans_overlap((paragraph,), gold.cue) else "other paragraph"


def source_type(text: str, gold: Gold) -> str:
    source = " ".join(text[b:e] for b, e in gold.source)
    if gold.pronoun:
        return "pronoun"
    return "description" if source[:1].islower() else "name"


def miss_kind(article: Article, gold: Gold) -> str:
    """The first that applies, in this order."""
    cue = " ".join(article.text[b:e] for b, e in gold.cue)
    place = cue_place(article.text, gold)
    if any(pn.spans_overlap(p.span, gold.pieces) for p in article.predicted):
        return "partly found: a prediction covers under half of the gold quote"
    if place != "same sentence":
        return f"cue in {place} (follow-on quote)"
    if gold.words.total() < 3:
        return "quote shorter than 3 words"
    if cue.rstrip().endswith(":") or not pn.words(cue):
        return "colon introduction (cue ends with ':')"
    if not any(_SPEECH_VERB.match(w) for w in pn.words(cue)):
        return "cue is not a listed speech verb"
    return f"listed speech verb in the same sentence, {source_type(article.text, gold)} source"


def wrong_kind(article: Article, gold: Gold, pred: Predicted) -> str:
    """The first that applies, in this order."""
    if pn.broken_reason(pred.statement.speaker, article.ner):
        return "predicted speaker is a broken name"
    kind = source_type(article.text, gold)
    if kind == "pronoun":
        return "gold source is a pronoun (resolved by coref)"
    if kind == "description":
        return "gold source is a description ('the campaign', 'a spokesman')"
    return "gold source is a name, predicted another person"


def error_kinds(articles: list[Article]) -> dict[str, Any]:
    misses: Counter[str] = Counter()
    cues: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for article in articles:
        for gold in article.golds:
            if gold.kind != SCORED:
                continue
            if id(gold) not in article.found:
                kind = miss_kind(article, gold)
                misses[kind] += 1
                if "not a listed" in kind:
                    cues[" ".join(article.text[b:e] for b, e in gold.cue).casefold()] += 1
                continue
            pred = best_prediction(article, gold)
            if speaker_right(pred) is False:
                wrong[wrong_kind(article, gold, pred)] += 1
    return {
        "misses": dict(misses.most_common()),
        "unlisted_cues_of_misses": cues.most_common(30),
        "wrong_speakers": dict(wrong.most_common()),
    }


# --- printing ------------------------------------------------------------------------------


def _rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    ex, e2e, br = result["extraction"], result["end_to_end"], result["broken_speakers"]
    return [
        ("articles", f"{result['articles']}"),
        ("gold quotations", f"{ex['gold_quotations']}"),
        ("predicted direct quotes", f"{ex['predicted_direct']}"),
        ("extraction precision", f"{ex['precision']:.3f}"),
        ("extraction recall", f"{ex['recall']:.3f}"),
        ("extraction F1", f"{ex['f1']:.3f}"),
        ("fragment recall", f"{ex['fragment_recall']:.3f}"),
        ("attribution (right speaker)", f"{result['attribution']:.3f}"),
        ("  same, any name of coref chain", f"{result['attribution_lenient_coref']:.3f}"),
        ("unresolvable pronoun sources", f"{result['unresolvable_pronouns']}"),
        ("end-to-end precision", f"{e2e['precision']:.3f}"),
        ("end-to-end recall", f"{e2e['recall']:.3f}"),
        ("end-to-end F1", f"{e2e['f1']:.3f}"),
        ("broken speaker names", f"{br['share']:.3f} of {br['speakers']}"),
        ("median ms per article", f"{result['median_ms_per_article']:.2f}"),
    ]


def print_table(results: dict[str, dict[str, Any]]) -> None:
    splits = list(results)
    rows = {split: dict(_rows(results[split])) for split in splits}
    print(f"{'':32}" + "".join(f"{s:>20}" for s in splits))
    for label, _ in _rows(results[splits[0]]):
        print(f"{label:32}" + "".join(f"{rows[s][label]:>20}" for s in splits))
    for split in splits:
        result = results[split]
        print(f"\n[{split}] prediction verdicts: {result['extraction']['verdicts']}")
        print(f"[{split}] gold quote kinds: {result['extraction']['gold_kinds']}")
        print(f"[{split}] broken name reasons: {result['broken_speakers']['reasons']}")
        kinds = result["error_kinds"]
        print(f"[{split}] misses by kind: {kinds['misses']}")
        print(f"[{split}] wrong speakers by kind: {kinds['wrong_speakers']}")
        print(f"[{split}] unlisted cues of misses: {kinds['unlisted_cues_of_misses']}")


def _where(article: Article, spans: pn.Spans) -> str:
    return f"{article.name} [{spans[0][0]}:{spans[-1][1]}]" if spans else article.name


def _quote(text: str, spans: pn.Spans) -> str:
    return " … ".join(" ".join(text[b:e].split()) for b, e in spans)


def print_errors(articles: list[Article], count: int, split: str) -> None:
    """Samples for the terminal only (they hold corpus text: never save them in the repo)."""
    misses: list[str] = []
    false: list[str] = []
    wrong: list[str] = []
    for a in articles:
        for g in a.golds:
            if g.kind == SCORED and id(g) not in a.found:
                misses.append(
                    f"  {_where(a, g.pieces)} source={_quote(a.text, g.source)!r} "
                    f"cue={_quote(a.text, g.cue)!r}: {_quote(a.text, g.pieces)[:160]!r}"
                )
            elif g.kind == SCORED and speaker_right(best_prediction(a, g)) is False:
                wrong.append(
                    f"  {_where(a, g.pieces)} predicted={best_prediction(a, g).statement.speaker!r}"
                    f" gold={_quote(a.text, g.source)!r} names={g.names}"
                )
        false.extend(
            f"  {_where(a, p.span)} {p.verdict} speaker={p.statement.speaker!r}: "
            f"{p.statement.quote[:160]!r}"
            for p in a.predicted
            if p.verdict.startswith("fp")
        )
    for title, lines in (("missed", misses), ("false positives", false), ("wrong speaker", wrong)):
        print(f"\n[{split}] {title} ({len(lines)}), first {count}:")
        print("\n".join(lines[:count]))
    top = figures_broken_top(articles)
    print(f"\n[{split}] most common broken speaker names: {top}")


def figures_broken_top(articles: list[Article]) -> list[tuple[str, int]]:
    top: list[tuple[str, int]] = broken_figures(articles)["top"]
    return top


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("data", type=Path, help="the PolNeAR folder (holding train/ and dev/)")
    parser.add_argument("--split", choices=["train", "dev", "both"], default="train")
    parser.add_argument("--json", type=Path, help="write the figures here (no corpus text)")
    parser.add_argument("--errors", type=int, default=0, help="print N samples per error kind")
    parser.add_argument("--headline", action="store_true", help="pass the headline too")
    parser.add_argument("--speakers", type=Path, help="a speakers file, as the pipeline's")
    options = parser.parse_args(argv)
    options.speaker_list = load_speakers(options.speakers) if options.speakers else SpeakerList([])
    splits = ["train", "dev"] if options.split == "both" else [options.split]
    results: dict[str, dict[str, Any]] = {}
    for split in splits:
        articles = run_split(options.data / split, options)
        results[split] = figures(articles)
        if options.errors:
            print_errors(articles, options.errors, split)
    print_table(results)
    if options.json:
        for result in results.values():
            result["broken_speakers"].pop("top")  # predicted names come from corpus text
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
