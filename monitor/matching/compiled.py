"""All rules' terms in one Aho-Corasick automaton: an article's fields are scanned once,
whatever the number of rules; only the rules whose terms hit (or that can match without a
term, such as `NOT x`) are then evaluated, regexes last. A rule whose regex runs out of time
is set aside as timed out, and the others go on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ahocorasick

from monitor.matching.evaluate import (
    Document,
    Evaluation,
    Finder,
    Positions,
    TermFinder,
    cheap_first,
    evaluate,
    regex_finder,
    window_starts,
)
from monitor.matching.query import And, Near, Node, Not, Regex, Term, literal_terms
from monitor.matching.regexes import DEFAULT_REGEX_TIMEOUT, RegexTimeout

Key = tuple[tuple[str, ...], bool]  # (words, prefix)


def _keys(term: Term) -> list[Key]:
    if term.slop is not None:
        return [((w,), False) for w in term.words]
    return [(term.words, term.prefix)]


def trigger_keys(node: Node) -> frozenset[Key] | None:
    """Keys of which at least one must occur for the query to hold, as few as possible.

    Only those keys put the rule on the candidate list, so an article wakes up only the rules
    whose most selective required part it contains. None: the query can hold without any of
    its words (`NOT x`, a regex), so the rule is always a candidate.
    """
    if isinstance(node, Term):
        keys = _keys(node)
        return frozenset([max(keys, key=lambda k: len(" ".join(k[0])))])
    if isinstance(node, Regex | Not):
        return None
    if isinstance(node, Near):
        sides = [k for k in (trigger_keys(node.left), trigger_keys(node.right)) if k is not None]
        return min(sides, key=_cost) if sides else None
    parts = [trigger_keys(child) for child in node.children]
    if isinstance(node, And):
        required = [p for p in parts if p is not None]
        return min(required, key=_cost) if required else None
    if any(p is None for p in parts):
        return None
    return frozenset().union(*[p for p in parts if p is not None])


def _cost(keys: frozenset[Key]) -> float:
    """Fewer keys, and longer (rarer) ones, wake fewer rules."""
    return sum(1 / (1 + len(" ".join(words))) + (0.5 if prefix else 0) for words, prefix in keys)


@dataclass(frozen=True)
class _Context:
    hits: Mapping[int, Mapping[str, list[int]]]
    find: Finder


Test = Callable[[_Context], bool]
_NONE: Mapping[str, list[int]] = {}


@dataclass
class _Scan:
    """Where each automaton key occurs, per field (word indexes)."""

    hits: dict[int, dict[str, list[int]]]


@dataclass(frozen=True)
class Outcome:
    """The queries that hold on a document, and those whose regex ran out of time on it."""

    matched: tuple[tuple[int, Evaluation], ...]  # (query index, evaluation), in query order
    timed_out: tuple[int, ...] = ()  # query indexes, in order; none of them is in `matched`


class CompiledRules:
    """Matches many queries against a document with a single pass per field."""

    def __init__(self, queries: Sequence[Node]) -> None:
        self.queries = list(queries)
        self._automaton = ahocorasick.Automaton()
        self._key_ids: dict[Key, int] = {}
        self._triggers: dict[int, set[int]] = defaultdict(set)
        self._always: list[int] = []
        for index, query in enumerate(self.queries):
            for term in literal_terms(query):
                for key in _keys(term):
                    self._key_id(key)
            keys = trigger_keys(query)
            if keys is None:
                self._always.append(index)
            for key in keys or ():
                self._triggers[self._key_id(key)].add(index)
        self._tests = [self._test(query) for query in self.queries]
        if self._key_ids:
            self._automaton.make_automaton()

    def _test(self, node: Node) -> Test:
        """The query as nested closures over the scan: a fast yes/no, no explanation."""
        if isinstance(node, Term) and node.slop is None:
            key_id, fields = self._key_id((node.words, node.prefix)), node.fields
            return lambda c: any(f in c.hits.get(key_id, _NONE) for f in fields)
        if isinstance(node, Term | Near | Regex):
            return lambda c: evaluate(node, c.find).matched
        if isinstance(node, Not):
            inner = self._test(node.child)
            return lambda c: not inner(c)
        tests = [self._test(child) for child in cheap_first(node.children)]
        if isinstance(node, And):
            return lambda c: all(t(c) for t in tests)
        return lambda c: any(t(c) for t in tests)

    def _key_id(self, key: Key) -> int:
        if key not in self._key_ids:
            key_id = len(self._key_ids)
            self._key_ids[key] = key_id
            words, prefix = key
            pattern = " " + " ".join(words) + ("" if prefix else " ")
            self._automaton.add_word(pattern, (key_id, len(pattern)))
        return self._key_ids[key]

    def _scan(self, document: Document) -> _Scan:
        hits: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        if not self._key_ids:
            return _Scan(hits)
        for name, tokens in document.fields.items():
            joined = " " + " ".join(tokens) + " "
            starts, offset = {}, 0
            for i, token in enumerate(tokens):
                starts[offset] = i  # the space before token i
                offset += len(token) + 1
            for end, (key_id, length) in self._automaton.iter(joined):
                hits[key_id][name].append(starts[end - length + 1])
        return _Scan(hits)

    def match(
        self, texts: Mapping[str, str], regex_timeout: float = DEFAULT_REGEX_TIMEOUT
    ) -> Outcome:
        """Every query that holds, and every query set aside because a regex timed out.

        Candidates (rules with a term in the article) get the fast yes/no test; only the
        rules that hold are evaluated again to say which terms and fields hit. Each regex
        search may take `regex_timeout` seconds.
        """
        document = Document.of(texts)
        scan = self._scan(document)
        candidates = set(self._always)
        for key_id in scan.hits:
            candidates |= self._triggers[key_id]
        find = Finder(self._term_finder(scan), regex_finder(document, regex_timeout))
        context = _Context(scan.hits, find)
        matched, timed_out = [], []
        for index in sorted(candidates):
            try:
                if self._tests[index](context):
                    matched.append((index, evaluate(self.queries[index], find)))
            except RegexTimeout:
                timed_out.append(index)
        return Outcome(tuple(matched), tuple(timed_out))

    def _term_finder(self, scan: _Scan) -> TermFinder:
        cache: dict[Term, Positions] = {}

        def find(term: Term) -> Positions:
            if term in cache:
                return cache[term]
            found: Positions = {}
            for name in term.fields:
                if term.slop is None:
                    spots = scan.hits.get(self._key_ids[(term.words, term.prefix)], {}).get(name)
                else:
                    where = [scan.hits.get(self._key_ids[k], {}).get(name, []) for k in _keys(term)]
                    spots = window_starts(where, term.slop)
                if spots:
                    found[name] = sorted(set(spots))
            cache[term] = found
            return found

        return find
