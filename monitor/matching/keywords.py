"""Keyword matching: pure functions from (Article, rules) to Match records."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from monitor.matching.rules import Rule
from monitor.records import Article, Match, Statement
from monitor.statements.speakers import SpeakerList

_SENTENCE_END = re.compile(r"[.!?…][\"”’»)]*\s+(?=[\"“‘«(–—-]*[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:[A-Z]\.)+[A-Z]|Mr|Mrs|Ms|Dr|Prof|Gen|Sen|Rep|Gov|Col|Lt|Sgt|St|No|Jr|Sr|vs)\.$"
)


@lru_cache(maxsize=4096)
def term_regex(term: str) -> re.Pattern[str]:
    """Whole words, case-insensitive; the words of a phrase may be split by any spacing."""
    words = [re.escape(w) for w in term.split()]
    return re.compile(r"(?<!\w)" + r"[\s\u00a0]+".join(words) + r"(?!\w)", re.I)


def _found(term: str, text: str) -> bool:
    return term_regex(term).search(text) is not None


def rule_hits(rule: Rule, text: str) -> tuple[str, ...] | None:
    """The terms that made `rule` fire on `text`, or None if it does not fire."""
    if any(_found(t, text) for t in rule.none_terms):
        return None
    if not all(_found(t, text) for t in rule.all_terms):
        return None
    any_hits = tuple(t for t in rule.any_terms if _found(t, text))
    if rule.any_terms and not any_hits:
        return None
    return (*rule.all_terms, *any_hits)


def split_sentences(paragraph: str) -> list[str]:
    """Split at sentence ends, but not after initials and abbreviations such as U.S. or Dr."""
    parts, start = [], 0
    for end in _SENTENCE_END.finditer(paragraph):
        head = paragraph[start : end.start() + 1]
        if end.group().startswith(".") and _ABBREVIATION.search(head):
            continue
        parts.append(paragraph[start : end.end()].strip())
        start = end.end()
    parts.append(paragraph[start:].strip())
    return [p for p in parts if p]


def sentences(paragraphs: Iterable[str]) -> list[str]:
    return [s for p in paragraphs for s in split_sentences(p)]


def best_sentence(paragraphs: Sequence[str], terms: Sequence[str]) -> str:
    """The sentence that shows the match best: the most distinct terms, earliest on a tie."""
    candidates = sentences(paragraphs)
    if not candidates:
        return ""
    scores = [sum(_found(t, s) for t in terms) for s in candidates]
    return candidates[scores.index(max(scores))]


def match_article(
    article: Article,
    rules: Sequence[Rule],
    statements: Sequence[Statement] = (),
    speakers: SpeakerList | None = None,
) -> list[Match]:
    """Every rule that fires on the article, in rule order, with its key statement.

    A rule with `require_statement` fires only on a statement that is itself on topic: the
    rule's terms must hit the statement's own paragraph (with the title), not merely the
    article; background quotes do not count.
    """
    text = "\n\n".join(filter(None, [article.title, *article.paragraphs]))
    matches = []
    for rule in rules:
        hits = rule_hits(rule, text)
        if hits is None:
            continue
        statement = key_statement(article, rule, statements, speakers)
        if rule.require_statement and statement is None:
            continue
        matches.append(
            Match(
                rule=rule.name,
                channel=rule.channel,
                terms=hits,
                sentence=statement.sentence
                if statement
                else best_sentence(article.paragraphs, hits),
                statement=statement,
                followups=rule.followups,
            )
        )
    return matches


def key_statement(
    article: Article,
    rule: Rule,
    statements: Sequence[Statement],
    speakers: SpeakerList | None = None,
) -> Statement | None:
    """The first on-topic, current statement by an allowed speaker; direct ones first."""
    allowed = _allowed_speakers(rule, speakers)
    candidates = [
        s
        for s in statements
        if not s.background
        and (allowed is None or s.speaker in allowed)
        and rule_hits(rule, statement_context(article, s)) is not None
    ]
    direct = [s for s in candidates if s.kind == "direct"]
    preferred = direct or candidates
    return preferred[0] if preferred else None


def statement_context(article: Article, statement: Statement) -> str:
    """The text a statement is judged on: its own paragraph and the article's title.

    (Not the paragraph before: an official quoted on EU accession right after a sentence
    that mentions Ukraine and NATO is not talking about Ukraine and NATO.)
    """
    position = 0
    for paragraph in article.paragraphs:
        if position <= statement.start < position + len(paragraph) + 2:
            return "\n\n".join(filter(None, [article.title, paragraph]))
        position += len(paragraph) + 2
    return statement.sentence


def _allowed_speakers(rule: Rule, speakers: SpeakerList | None) -> set[str] | None:
    if not rule.speakers:
        return None
    names = set(rule.speakers)
    if speakers is not None:
        names |= {found.name for name in rule.speakers if (found := speakers.find(name))}
    return names
