"""Evaluate a parsed query over an article's fields.

A document is its fields as folded word lists. The leaves of a query are looked up through a
`Finder`: term positions come from the reference finder, which scans the words term by term
(simple and obviously right), or from the compiled matcher (matching/compiled.py), which
finds every rule's terms in one automaton pass; regexes run with a time limit
(matching/regexes.py) and raise RegexTimeout when they exceed it. The boolean, proximity and
field logic below is shared, so both agree by construction where they meet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from monitor.matching.query import And, Near, Node, Not, Or, Regex, Term, words
from monitor.matching.regexes import DEFAULT_REGEX_TIMEOUT, RegexTimeout, regex_search
from monitor.records import Hit
from monitor.text import fold

Positions = dict[str, list[int]]  # field -> word indexes where a term starts
TermFinder = Callable[[Term], Positions]
RegexFinder = Callable[[Regex], list[str]]  # the fields where the regex occurs


@dataclass(frozen=True)
class Document:
    """Folded words per field, plus the raw text for regexes."""

    fields: Mapping[str, Sequence[str]]
    raw: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> Document:
        return cls({name: words(text) for name, text in texts.items()}, dict(texts))


@dataclass(frozen=True)
class Finder:
    """Where a query's leaves occur in one document: term positions, regex fields."""

    terms: TermFinder
    regexes: RegexFinder


@dataclass
class Evaluation:
    """Whether the query holds, and the terms (with their fields) that made it hold."""

    matched: bool
    hits: set[Hit] = field(default_factory=set)


def reference_finder(document: Document, regex_timeout: float = DEFAULT_REGEX_TIMEOUT) -> Finder:
    """Terms by scanning each field's words (the plain definition of a match), and regexes."""
    return Finder(_scan_terms(document), regex_finder(document, regex_timeout))


def regex_finder(document: Document, timeout: float) -> RegexFinder:
    """Each regex searched once per document, with `timeout` seconds per field.

    A timeout is remembered and raised again, so a rule tested and then explained (the
    compiled matcher does both) does not wait for the same search twice.
    """
    outcomes: dict[Regex, list[str] | RegexTimeout] = {}

    def find(node: Regex) -> list[str]:
        if node not in outcomes:
            try:
                outcomes[node] = [
                    name
                    for name in node.fields
                    if regex_search(node.pattern, fold(document.raw.get(name, "")), timeout)
                ]
            except RegexTimeout as e:
                outcomes[node] = e
        outcome = outcomes[node]
        if isinstance(outcome, RegexTimeout):
            raise outcome
        return outcome

    return find


def _scan_terms(document: Document) -> TermFinder:
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


def evaluate(node: Node, find: Finder) -> Evaluation:
    """Whether `node` holds and why; RegexTimeout if one of its regexes ran out of time."""
    if isinstance(node, Term):
        positions = find.terms(node)
        return Evaluation(bool(positions), {_hit(f, node) for f in positions})
    if isinstance(node, Regex):
        fields = find.regexes(node)
        return Evaluation(bool(fields), {_hit(f, node) for f in fields})
    if isinstance(node, Near):
        return _near(node, find)
    if isinstance(node, Not):
        inner = evaluate(node.child, find)
        return Evaluation(not inner.matched)
    return _and(node, find) if isinstance(node, And) else _or(node, find)


def _hit(name: str, node: Term | Regex | Near) -> Hit:
    return Hit(name, _label(node), _phrases(node))


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


def _and(node: And, find: Finder) -> Evaluation:
    hits: set[Hit] = set()
    for child in cheap_first(node.children):
        result = evaluate(child, find)
        if not result.matched:
            return Evaluation(False)
        hits |= result.hits
    return Evaluation(True, hits)


def _or(node: Or, find: Finder) -> Evaluation:
    hits: set[Hit] = set()
    matched = False
    for child in cheap_first(node.children):
        if matched and has_regex(child):
            break  # already true: no need to run a regex for it
        result = evaluate(child, find)
        if result.matched:
            matched = True
            hits |= result.hits
    return Evaluation(matched, hits)


def _near(node: Near, find: Finder) -> Evaluation:
    left, right = _term_positions(node.left, find), _term_positions(node.right, find)
    near = [
        name
        for name in set(left) & set(right)
        if any(abs(a - b) <= node.distance for a in left[name] for b in right[name])
    ]
    return Evaluation(bool(near), {_hit(name, node) for name in near})


def _term_positions(node: Node, find: Finder) -> Positions:
    """Positions of a NEAR side: a term, or an OR of terms (a synonym group).

    The parser accepts nothing else (query._check_near); a tree built by hand with another
    side is a bug, hence ValueError.
    """
    if isinstance(node, Term):
        return find.terms(node)
    if isinstance(node, Or):
        merged: Positions = {}
        for child in node.children:
            for name, spots in _term_positions(child, find).items():
                merged.setdefault(name, []).extend(spots)
        return merged
    raise ValueError("NEAR takes words, phrases or synonym groups on each side")


def _label(node: Node) -> str:
    """How a hit names its term: `nato`, `"ukraine nato"~10`, `(kyiv OR kiev) NEAR/3 nato`."""
    if isinstance(node, Term | Regex):
        return node.label()
    if isinstance(node, Near):
        return f"{_label(node.left)} NEAR/{node.distance} {_label(node.right)}"
    if isinstance(node, Or):
        return "(" + " OR ".join(_label(c) for c in node.children) + ")"
    return "…"


def _phrases(node: Node) -> tuple[str, ...]:
    """The words of a hit to look for in a sentence: a phrase, each word of a `"…"~N`
    phrase (they need not be adjacent), every term on both sides of a NEAR; none in a regex."""
    if isinstance(node, Term):
        return tuple(node.words) if node.slop is not None else (" ".join(node.words),)
    if isinstance(node, Near):
        return _phrases(node.left) + _phrases(node.right)
    if isinstance(node, Or):
        return tuple(p for c in node.children for p in _phrases(c))
    return ()
