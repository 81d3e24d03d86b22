"""All rules' terms in one Aho-Corasick automaton: an article's fields are scanned once,
whatever the number of rules; only the rules whose terms hit (or that can match without a
term, such as `NOT x`) are then evaluated, regexes last."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ahocorasick

from monitor.matching.evaluate import (
    Document,
    Evaluation,
    Positions,
    TermFinder,
    evaluate,
    window_starts,
)
from monitor.matching.query import And, Near, Node, Not, Regex, Term, literal_terms

Key = tuple[tuple[str, ...], bool]  # (words, prefix)


def _keys(term: Term) -> list[Key]:
    if term.slop is not None:
        return [((w,), False) for w in term.words]
    return [(term.words, term.prefix)]


def needs_a_term(node: Node) -> bool:
    """False when the query can match an article in which none of its words occur."""
    if isinstance(node, Term | Near):
        return True
    if isinstance(node, Regex | Not):
        return False
    if isinstance(node, And):
        return any(needs_a_term(c) for c in node.children)
    return all(needs_a_term(c) for c in node.children)


@dataclass
class _Scan:
    """Where each automaton key occurs, per field (word indexes)."""

    hits: dict[int, dict[str, list[int]]]


class CompiledRules:
    """Matches many queries against a document with a single pass per field."""

    def __init__(self, queries: Sequence[Node]) -> None:
        self.queries = list(queries)
        self._automaton = ahocorasick.Automaton()
        self._key_ids: dict[Key, int] = {}
        self._triggers: dict[int, set[int]] = defaultdict(set)
        self._always = [i for i, q in enumerate(self.queries) if not needs_a_term(q)]
        for index, query in enumerate(self.queries):
            for term in literal_terms(query):
                for key in _keys(term):
                    self._triggers[self._key_id(key)].add(index)
        if self._key_ids:
            self._automaton.make_automaton()

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

    def match(self, texts: Mapping[str, str]) -> list[tuple[int, Evaluation]]:
        """(query index, evaluation) for every query that holds, in query order."""
        document = Document.of(texts)
        scan = self._scan(document)
        candidates = set(self._always)
        for key_id in scan.hits:
            candidates |= self._triggers[key_id]
        find = self._finder(scan)
        results = []
        for index in sorted(candidates):
            outcome = evaluate(self.queries[index], document, find)
            if outcome.matched:
                results.append((index, outcome))
        return results

    def _finder(self, scan: _Scan) -> TermFinder:
        def find(term: Term) -> Positions:
            found: Positions = {}
            for name in term.fields:
                if term.slop is None:
                    spots = scan.hits.get(self._key_ids[(term.words, term.prefix)], {}).get(name)
                else:
                    where = [scan.hits.get(self._key_ids[k], {}).get(name, []) for k in _keys(term)]
                    spots = window_starts(where, term.slop)
                if spots:
                    found[name] = sorted(set(spots))
            return found

        return find
