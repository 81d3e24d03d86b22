"""Evaluate a parsed query over an article's fields.

A document is its fields as folded word lists. Term positions come from a `TermFinder`: the
reference finder scans the words term by term (simple and obviously right); the compiled
matcher (matching/compiled.py) finds every rule's terms in one automaton pass. The boolean,
proximity and field logic below is shared, so both agree by construction where they meet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from monitor.matching.query import And, Near, Node, Not, Or, Regex, Term, words
from monitor.text import fold

Positions = dict[str, list[int]]  # field -> word indexes where a term starts
TermFinder = Callable[[Term], Positions]


@dataclass(frozen=True)
class Document:
    """Folded words per field, plus the raw text for regexes."""

    fields: Mapping[str, Sequence[str]]
    raw: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> Document:
        return cls({name: words(text) for name, text in texts.items()}, dict(texts))


@dataclass
class Evaluation:
    """Whether the query holds, and the terms (with their fields) that made it hold."""

    matched: bool
    hits: set[str] = field(default_factory=set)


def reference_finder(document: Document) -> TermFinder:
    """Find a term by scanning each field's words: the plain definition of a match."""

    def find(term: Term) -> Positions:
        found: Positions = {}
        for name in term.fields:
            tokens = document.fields.get(name, ())
            spots = (
                _slop_positions(term, tokens)
                if term.slop is not None
                else [i for i in range(len(tokens)) if _phrase_at(term, tokens, i)]
            )
            if spots:
                found[name] = spots
        return found

    return find


def _phrase_at(term: Term, tokens: Sequence[str], i: int) -> bool:
    n = len(term.words)
    if i + n > len(tokens):
        return False
    for k, word in enumerate(term.words):
        last = k == n - 1
        token = tokens[i + k]
        if not (token.startswith(word) if last and term.prefix else token == word):
            return False
    return True


def _slop_positions(term: Term, tokens: Sequence[str]) -> list[int]:
    where = [[i for i, t in enumerate(tokens) if t == w] for w in term.words]
    return window_starts(where, term.slop or 0)


def window_starts(where: Sequence[Sequence[int]], slop: int) -> list[int]:
    """Starts of windows of `slop` words that hold one position of every list (any order)."""
    if any(not spots for spots in where):
        return []
    starts = set()
    for anchor in where[0]:
        nearest = [_nearest(spots, anchor) for spots in where[1:]]
        if all(abs(p - anchor) <= slop for p in nearest):
            starts.add(min([anchor, *nearest]))
    return sorted(starts)


def _nearest(spots: Sequence[int], anchor: int) -> int:
    return min(spots, key=lambda p: abs(p - anchor))


def evaluate(node: Node, document: Document, find: TermFinder) -> Evaluation:
    if isinstance(node, Term):
        positions = find(node)
        return Evaluation(bool(positions), {f"{f}:{node.label()}" for f in positions})
    if isinstance(node, Regex):
        hit = [
            f for f in node.fields if re.search(node.pattern, fold(document.raw.get(f, "")), re.I)
        ]
        return Evaluation(bool(hit), {f"{f}:{node.label()}" for f in hit})
    if isinstance(node, Near):
        return _near(node, document, find)
    if isinstance(node, Not):
        inner = evaluate(node.child, document, find)
        return Evaluation(not inner.matched)
    return _and(node, document, find) if isinstance(node, And) else _or(node, document, find)


def cheap_first(children: Sequence[Node]) -> list[Node]:
    """Regexes last: they run only when the cheap terms around them allow a match."""
    return sorted(children, key=has_regex)


def has_regex(node: Node) -> bool:
    if isinstance(node, Regex):
        return True
    if isinstance(node, Term):
        return False
    if isinstance(node, Near):
        return has_regex(node.left) or has_regex(node.right)
    if isinstance(node, Not):
        return has_regex(node.child)
    return any(has_regex(c) for c in node.children)


def _and(node: And, document: Document, find: TermFinder) -> Evaluation:
    hits: set[str] = set()
    for child in cheap_first(node.children):
        result = evaluate(child, document, find)
        if not result.matched:
            return Evaluation(False)
        hits |= result.hits
    return Evaluation(True, hits)


def _or(node: Or, document: Document, find: TermFinder) -> Evaluation:
    hits: set[str] = set()
    matched = False
    for child in cheap_first(node.children):
        if matched and has_regex(child):
            break  # already true: no need to run a regex for it
        result = evaluate(child, document, find)
        if result.matched:
            matched = True
            hits |= result.hits
    return Evaluation(matched, hits)


def _near(node: Near, document: Document, find: TermFinder) -> Evaluation:
    left, right = _term_positions(node.left, find), _term_positions(node.right, find)
    hits = set()
    for name in set(left) & set(right):
        if any(abs(a - b) <= node.distance for a in left[name] for b in right[name]):
            hits.add(f"{name}:{_label(node.left)} NEAR/{node.distance} {_label(node.right)}")
    return Evaluation(bool(hits), hits)


def _term_positions(node: Node, find: TermFinder) -> Positions:
    """Positions of a NEAR operand: a term, or an OR of terms (a synonym group)."""
    if isinstance(node, Term):
        return find(node)
    if isinstance(node, Or):
        merged: Positions = {}
        for child in node.children:
            for name, spots in _term_positions(child, find).items():
                merged.setdefault(name, []).extend(spots)
        return merged
    raise ValueError("NEAR takes words, phrases or synonym groups on each side")


def _label(node: Node) -> str:
    if isinstance(node, Term):
        return node.label()
    if isinstance(node, Or):
        return "(" + " OR ".join(_label(c) for c in node.children) + ")"
    return "…"
