"""Matching: pure functions from an article (and its statements) to Match records.

All rules are compiled together (matching/compiled.py); an article's fields are scanned once.
A rule with `require_statement` fires only on a current statement that is itself on topic.
A rule whose regex runs out of time (matching/regexes.py) does not fire on that article; the
result names it, and the other rules go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.matching.compiled import CompiledRules
from monitor.matching.evaluate import Document, Evaluation, evaluate, reference_finder
from monitor.matching.keywords import best_sentence, hit_phrases
from monitor.matching.regexes import DEFAULT_REGEX_TIMEOUT, RegexTimeout
from monitor.matching.rules import Rule
from monitor.records import Article, Match, Statement
from monitor.statements.speakers import SpeakerList


@dataclass(frozen=True)
class MatchResult:
    """The rules that fire on an article, and the rules set aside on it because a regex ran
    out of time (they did not fire; the caller says so, since the rule needs fixing)."""

    matches: tuple[Match, ...]
    timed_out: tuple[str, ...] = ()  # rule names, in rule order


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
    *,
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
) -> MatchResult:
    """Every rule that fires on the article, in rule order, with why and its key statement.

    Each regex search may take `regex_timeout` seconds; a rule that needs longer is named in
    `timed_out` instead.
    """
    ruleset = rules if isinstance(rules, RuleSet) else RuleSet(rules)
    fields = article_fields(article, statements, feed_name)
    names = [article.sitename or "", feed_name or "", urlsplit(article.source).hostname or ""]
    outcome = ruleset.compiled.match(fields, regex_timeout)
    matches, timed_out = [], set(outcome.timed_out)
    for index, evaluation in outcome.matched:
        rule = ruleset.rules[index]
        if not rule.sources.allows(names):
            continue
        if rule.languages and (article.language or "") not in rule.languages:
            continue
        try:
            match = _match(article, rule, evaluation, statements, speakers, regex_timeout)
        except RegexTimeout:  # on a statement's paragraph: the rule's verdict is unknown
            timed_out.add(index)
            continue
        if match is not None:
            matches.append(match)
    return MatchResult(tuple(matches), tuple(ruleset.rules[i].name for i in sorted(timed_out)))


def _match(
    article: Article,
    rule: Rule,
    evaluation: Evaluation,
    statements: Sequence[Statement],
    speakers: SpeakerList | None,
    regex_timeout: float,
) -> Match | None:
    """The Match of a rule whose query holds; None if it wants a statement and has none."""
    statement = key_statement(article, rule, statements, speakers, regex_timeout=regex_timeout)
    if rule.require_statement and statement is None:
        return None
    hits = tuple(sorted(evaluation.hits))
    sentence = (
        statement.sentence if statement else best_sentence(article.paragraphs, hit_phrases(hits))
    )
    return Match(
        rule=rule.name,
        channel=rule.channel,
        hits=hits,
        sentence=sentence,
        statement=statement,
        followups=rule.followups,
        mention=rule.mention,
        priority=rule.priority,
        throttle=rule.throttle,
    )


def key_statement(
    article: Article,
    rule: Rule,
    statements: Sequence[Statement],
    speakers: SpeakerList | None = None,
    *,
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
) -> Statement | None:
    """The first on-topic, current statement by an allowed speaker: whole quotes first, then
    quoted fragments (`promised "concrete steps"`), then reported speech.

    RegexTimeout if the rule's regex runs out of time on a statement's paragraph.
    """
    allowed = _allowed_speakers(rule, speakers)
    candidates = [
        s
        for s in statements
        if not s.background
        and (allowed is None or s.speaker in allowed)
        and _on_topic(rule, article, s, regex_timeout)
    ]
    whole = [s for s in candidates if s.kind == "direct" and not s.fragment]
    direct = [s for s in candidates if s.kind == "direct"]
    preferred = whole or direct or candidates
    return preferred[0] if preferred else None


def _on_topic(rule: Rule, article: Article, statement: Statement, regex_timeout: float) -> bool:
    """The rule's query holds on the statement's own paragraph and the title.

    (Not the paragraph before: an official quoted on EU accession right after a sentence
    that mentions Ukraine and NATO is not talking about Ukraine and NATO.)
    """
    fields = article_fields(article, [statement])
    fields["text"] = statement_paragraph(article, statement)
    document = Document.of(fields)
    return evaluate(rule.node, reference_finder(document, regex_timeout)).matched


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
