"""Matching: pure functions from an article (and its statements) to Match records.

All rules are compiled together (matching/compiled.py); an article's fields are scanned once.
A rule with `require_statement` fires only on a current statement that is itself on topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from monitor.matching.compiled import CompiledRules
from monitor.matching.evaluate import Document, evaluate, reference_finder
from monitor.matching.keywords import best_sentence, hit_phrases
from monitor.matching.rules import Rule
from monitor.records import Article, Match, Statement
from monitor.statements.speakers import SpeakerList


class RuleSet:
    """The enabled rules, compiled once (and again when the rule files change)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = [
            r if r.node is not None else r.model_copy(update={"node": r.compile({})}) for r in rules
        ]
        self.compiled = CompiledRules([rule.node for rule in self.rules])

    def __len__(self) -> int:
        return len(self.rules)


def article_fields(
    article: Article, statements: Sequence[Statement], feed_name: str | None = None
) -> dict[str, str]:
    """The fields a query can name: title, text, quote, speaker, source, url."""
    current = [s for s in statements if not s.background]
    host = urlsplit(article.source).hostname or ""
    return {
        "title": article.title or "",
        "text": article.text,
        "quote": "\n".join(s.quote for s in current),
        "speaker": "\n".join(dict.fromkeys(s.speaker for s in current)),
        "source": "\n".join(filter(None, [article.sitename, feed_name, host])),
        "url": article.source,
    }


def match_article(
    article: Article,
    rules: RuleSet | Sequence[Rule],
    statements: Sequence[Statement] = (),
    speakers: SpeakerList | None = None,
    feed_name: str | None = None,
) -> list[Match]:
    """Every rule that fires on the article, in rule order, with why and its key statement."""
    ruleset = rules if isinstance(rules, RuleSet) else RuleSet(rules)
    fields = article_fields(article, statements, feed_name)
    names = [article.sitename or "", feed_name or "", urlsplit(article.source).hostname or ""]
    matches = []
    for index, evaluation in ruleset.compiled.match(fields):
        rule = ruleset.rules[index]
        if not rule.sources.allows(names):
            continue
        if rule.languages and (article.language or "") not in rule.languages:
            continue
        statement = key_statement(article, rule, statements, speakers)
        if rule.require_statement and statement is None:
            continue
        terms = tuple(sorted(evaluation.hits))
        sentence = (
            statement.sentence
            if statement
            else best_sentence(article.paragraphs, hit_phrases(terms))
        )
        matches.append(
            Match(
                rule=rule.name,
                channel=rule.channel,
                terms=terms,
                sentence=sentence,
                statement=statement,
                followups=rule.followups,
                mention=rule.mention,
                priority=rule.priority,
                throttle=rule.throttle,
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
        and _on_topic(rule, article, s)
    ]
    direct = [s for s in candidates if s.kind == "direct"]
    preferred = direct or candidates
    return preferred[0] if preferred else None


def _on_topic(rule: Rule, article: Article, statement: Statement) -> bool:
    """The rule's query holds on the statement's own paragraph and the title.

    (Not the paragraph before: an official quoted on EU accession right after a sentence
    that mentions Ukraine and NATO is not talking about Ukraine and NATO.)
    """
    fields = article_fields(article, [statement])
    fields["text"] = statement_paragraph(article, statement)
    document = Document.of(fields)
    return evaluate(rule.node, document, reference_finder(document)).matched


def statement_paragraph(article: Article, statement: Statement) -> str:
    position = 0
    for paragraph in article.paragraphs:
        if position <= statement.start < position + len(paragraph) + 2:
            return paragraph
        position += len(paragraph) + 2
    return statement.sentence


def _allowed_speakers(rule: Rule, speakers: SpeakerList | None) -> set[str] | None:
    if not rule.speakers:
        return None
    names = set(rule.speakers)
    if speakers is not None:
        names |= {found.name for name in rule.speakers if (found := speakers.find(name))}
    return names
