"""Rule regexes run with a time limit: a catastrophic pattern costs its rule, not the core."""

from __future__ import annotations

import time

import pytest

from monitor.matching import Rule, RuleSet, match_article
from monitor.matching.compiled import CompiledRules
from monitor.matching.evaluate import Document, evaluate, reference_finder
from monitor.matching.query import parse_query
from monitor.matching.regexes import RegexTimeout
from monitor.records import Article, Statement

# `regex` already defuses the textbook `(a+)+$`; this one still backtracks exponentially.
CATASTROPHIC = "/(a|aa)+$/"
TRAP = "a" * 60 + "b"


def _article(*paragraphs: str) -> Article:
    return Article(
        source="https://n.example/a",
        title="NATO summit",
        paragraphs=paragraphs,
        published=None,
        author=None,
        sitename=None,
        language=None,
    )


def _rules(**queries: str) -> RuleSet:
    return RuleSet([Rule(name=name, query=query) for name, query in queries.items()])


def test_a_regex_that_runs_out_of_time_sets_its_rule_aside_and_the_others_go_on() -> None:
    rules = _rules(normal="NATO", slow=CATASTROPHIC, negated=f"NATO NOT {CATASTROPHIC}")
    started = time.perf_counter()
    result = match_article(_article("NATO met.", TRAP), rules, regex_timeout=0.05)
    assert time.perf_counter() - started < 5
    assert [m.rule for m in result.matches] == ["normal"]
    assert result.timed_out == ("slow", "negated")  # NOT of an unknown is not a match


def test_a_regex_in_time_matches_and_reports_nothing() -> None:
    rules = _rules(regex="/nat(o|ion)/", slow=CATASTROPHIC)
    result = match_article(_article("NATO met.", "a short aab"), rules, regex_timeout=0.5)
    assert [m.rule for m in result.matches] == ["regex"]
    assert result.timed_out == ()


def test_a_regex_not_needed_for_the_verdict_does_not_run() -> None:
    rules = _rules(either=f"NATO OR {CATASTROPHIC}", both=f"football AND {CATASTROPHIC}")
    result = match_article(_article("NATO met.", TRAP), rules, regex_timeout=0.05)
    assert [m.rule for m in result.matches] == ["either"]
    assert result.timed_out == ()


def test_both_evaluators_report_the_timeout() -> None:
    query = parse_query(CATASTROPHIC)
    document = Document.of({"title": "", "text": TRAP})
    with pytest.raises(RegexTimeout):
        evaluate(query, reference_finder(document, regex_timeout=0.05))
    outcome = CompiledRules([parse_query("NATO"), query]).match({"text": TRAP}, 0.05)
    assert outcome.matched == () and outcome.timed_out == (1,)


def test_a_timeout_on_a_statement_paragraph_sets_the_rule_aside() -> None:
    """The article holds by `text:NATO`; the statement's own paragraph needs the regex."""
    article = _article("NATO met.", TRAP)
    start = len("NATO met.\n\n")
    statement = Statement("Kirby", None, TRAP, "direct", TRAP, start, start + len(TRAP))
    rules = _rules(r=f"text:NATO OR {CATASTROPHIC}", other="summit")
    result = match_article(article, rules, [statement], regex_timeout=0.05)
    assert [m.rule for m in result.matches] == ["other"]
    assert result.timed_out == ("r",)
