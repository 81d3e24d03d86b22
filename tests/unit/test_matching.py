from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import RuleError
from monitor.matching import Rule, RuleSet, load_rules, match_article
from monitor.matching.backtest import highlight
from monitor.records import Article, Hit
from monitor.text import split_sentences
from tests.conftest import REPO


def _article(*paragraphs: str, title: str = "T") -> Article:
    return Article(
        source="https://n.example/a",
        title=title,
        paragraphs=paragraphs,
        published=None,
        author=None,
        sitename=None,
        language=None,
    )


def _rule(**terms: list[str]) -> Rule:
    return Rule.model_validate({"name": "r", **terms})


def test_all_any_none() -> None:
    rule = _rule(all=["Ukraine", "NATO"], any=["membership", "join"], none=["football"])
    hit = _article("Ukraine must win the war to join NATO, Kirby said. Another sentence.")
    (match,) = match_article(hit, [rule]).matches
    assert match.hits == (Hit("text", "join"), Hit("text", "nato"), Hit("text", "ukraine"))
    assert match.sentence == "Ukraine must win the war to join NATO, Kirby said."
    assert (
        match_article(_article("Ukraine and NATO talk football membership."), [rule]).matches == ()
    )
    assert match_article(_article("Ukraine and NATO held talks."), [rule]).matches == ()


def test_whole_words_case_insensitive_and_phrases() -> None:
    rule = _rule(all=["nato"], any=["bridge to membership"])
    assert match_article(_article("NATO’s plan is a bridge  to\nmembership."), [rule]).matches
    assert not match_article(_article("NATOs plan is a bridge to membership."), [rule]).matches
    assert not match_article(_article("NATO plan: bridges to membership."), [rule]).matches


def test_near_hits_name_the_whole_test_and_show_both_sides() -> None:
    rules = RuleSet([Rule(name="r", query="(Kyiv OR Kiev) NEAR/4 summit")])
    article = _article("The summit opened in Vilnius.", "Kyiv welcomed the summit on Tuesday.")
    (match,) = match_article(article, rules).matches
    assert match.hits == (Hit("text", "(kyiv OR kiev) NEAR/4 summit"),)
    assert match.hits[0].phrases == ("kyiv", "kiev", "summit")
    assert match.sentence == "Kyiv welcomed the summit on Tuesday."  # both sides, not one
    assert highlight(match.sentence, match.hits, color=False) == (
        "**Kyiv** welcomed the **summit** on Tuesday."
    )


def test_a_proximity_phrase_is_looked_for_word_by_word() -> None:
    rules = RuleSet([Rule(name="r", query='"Ukraine NATO"~5')])
    article = _article("NATO met.", "Ukraine wants to join NATO.")
    (match,) = match_article(article, rules).matches
    assert match.hits == (Hit("text", '"ukraine nato"~5'),)
    assert match.sentence == "Ukraine wants to join NATO."
    assert highlight(match.sentence, match.hits, color=False) == (
        "**Ukraine** wants to join **NATO**."
    )


def test_sentences_do_not_split_after_initials() -> None:
    assert split_sentences("The U.S. President spoke. Mr. Kirby said so.") == [
        "The U.S. President spoke.",
        "Mr. Kirby said so.",
    ]


def test_shipped_rules_load() -> None:
    rules = load_rules([REPO / "rules"])
    assert [r.name for r in rules] == ["Ukraine and NATO membership"]


def _rules_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    path = _rules_file(tmp_path, "rules:\n  - name: x\n    all: [NATO]\n    chanel: '#a'\n")
    with pytest.raises(RuleError, match=rf"{path}:4: rules.0.chanel: unknown key"):
        load_rules([tmp_path])


def test_rule_without_terms_is_an_error(tmp_path: Path) -> None:
    path = _rules_file(tmp_path, "rules:\n  - name: x\n    none: [NATO]\n")
    with pytest.raises(
        RuleError,
        match=rf"{path}:2: rules.0: a rule needs a `query`, or terms under `all` or `any`",
    ):
        load_rules([path])


def test_duplicate_rule_names_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("rules:\n  - {name: x, all: [a]}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("rules:\n  - {name: x, all: [b]}\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"rule name 'x' already used at .*a.yaml:2"):
        load_rules([tmp_path])


def test_disabled_rules_do_not_load_and_missing_path_is_an_error(tmp_path: Path) -> None:
    _rules_file(tmp_path, "rules:\n  - {name: x, all: [a], enabled: false}\n")
    assert load_rules([tmp_path]) == []
    with pytest.raises(RuleError, match="rules path not found"):
        load_rules([tmp_path / "missing"])
