"""The query language: grammar, evaluation, and errors that point at file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import RuleError
from monitor.matching import RuleSet, load_rules, match_article
from monitor.matching.evaluate import Document, evaluate, reference_finder
from monitor.matching.library import check_rules
from monitor.matching.query import QueryError, parse_query
from monitor.records import Article, Hit

TITLE = "Kirby: Ukraine must first win the war to join NATO"
TEXT = "President Zelenskyy said the NATO door is open to Ukraine. Kyiv welcomed the summit."


def holds(query: str, groups: dict[str, tuple[str, ...]] | None = None) -> bool:
    document = Document.of({"title": TITLE, "text": TEXT, "speaker": "John Kirby"})
    return evaluate(parse_query(query, groups), reference_finder(document)).matched


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ukraine AND NATO", True),
        ("Ukraine NATO", True),  # adjacent terms are ANDed
        ("Ukraine AND football", False),
        ("football OR summit", True),
        ("Ukraine NOT summit", False),
        ("(football OR summit) AND NOT title:summit", True),
        ('"win the war"', True),
        ('"the war win"', False),
        ("Zelensk*", True),
        ("Zelenskyi", False),
        ('"NATO door"~1', True),
        ('"Ukraine Kyiv"~1', True),  # "…open to Ukraine. Kyiv welcomed…"
        ('"Zelenskyy summit"~2', False),
        ("NATO NEAR/3 door", True),
        ("Ukraine NEAR/1 summit", False),
        ("title:Zelenskyy", False),
        ("text:Zelenskyy", True),
        ("speaker:Kirby", True),
        ("KYÏV", True),  # case and accents
        ("/zel+ensk/", True),
        ("/ZEL+ENSK/", True),  # case-insensitive, over the folded text
        (r"/\p{L}+enskyy/", True),  # the `regex` package's syntax, a superset of `re`'s
        ("@capital", True),
        ("@capital NEAR/3 summit", True),  # a synonym group on one side
        ("@capital NEAR/2 summit", False),
        ("(Kiev OR Kyiv) NEAR/3 summit", True),
        ("title:(war OR NATO) NEAR/1 join", True),
        ('"NATO door"~1 NEAR/3 open', True),  # a ~N phrase sits where its window starts
        ("Zelensk* NEAR/1 said", True),
    ],
)
def test_queries(query: str, expected: bool) -> None:
    assert holds(query, {"capital": ("Kyiv", "Kiev")}) is expected


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("(Ukraine AND NATO", 1, "'(' is never closed"),
        ("Ukraine AND NATO)", 17, "unexpected ')'"),
        ("", 1, "the query is empty"),
        ("Ukraine AND", 12, "the query ends where a term was expected"),
        ("headline:Ukraine", 1, "unknown field 'headline'"),
        ("Ukraine @capitals", 9, "unknown synonym group @capitals"),
        ("Ukr*ine", 1, "only a trailing * is supported"),
        ("/[unclosed/", 1, "invalid regular expression"),
        ("(Ukraine NATO) NEAR/3 summit", 1, "NEAR cannot take AND (or adjacent terms) as a side"),
        ("summit NEAR/3 (Ukraine AND NATO)", 15, "NEAR cannot take AND"),
        ("Ukraine NEAR/3 (NOT NATO)", 16, "NEAR cannot take NOT as a side"),
        ("Ukraine NEAR/3 NOT NATO", 16, "NOT cannot stand after NEAR/N or a field"),
        ("title:NOT Ukraine", 7, "NOT cannot stand after NEAR/N or a field"),
        ("/ukr.ine/ NEAR/3 NATO", 1, "NEAR cannot take a regex as a side"),
        ("Ukraine NEAR/3 (NATO OR /alli.nce/)", 16, "NEAR cannot take a regex as a side"),
        ("(NATO NEAR/3 door) NEAR/3 open", 1, "NEAR cannot take another NEAR as a side"),
        ("NATO NEAR/3 door NEAR/3 open", 18, "NEAR cannot be chained"),
        ("title:Ukraine NEAR/3 text:NATO", 15, "the sides of NEAR share no field"),
        ("title:(Ukraine NEAR/3 text:NATO)", 7, "the sides of NEAR share no field"),
        ('"zel* nato"', 1, "only the last word of a phrase can end in *"),
        ('"NATO Zelensk*"~5', 1, 'a "…"~N phrase matches whole words only'),
        ("(" * 33 + "NATO" + ")" * 33, 33, "the query nests more than 32 levels deep"),
        ("NOT " * 33 + "NATO", 129, "the query nests more than 32 levels deep"),
        ("/" + "(" * 5000 + "a" + ")" * 5000 + "/", 1, "the regular expression nests too deep"),
    ],
)
def test_query_errors_say_where(query: str, column: int, message: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_query(query, {"capital": ("Kyiv",)})
    assert error.value.column == column and message in error.value.message
    assert error.value.hint or message == "invalid regular expression"


def test_rules_check_rejects_what_near_cannot_evaluate_with_file_line_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - name: r\n    query: (Ukraine NATO) NEAR/3 summit\n", encoding="utf-8"
    )
    errors, rules, _ = check_rules([path])
    assert rules == 0
    assert errors == [
        f"{path}:3:12: rules.0.query: NEAR cannot take AND (or adjacent terms) as a side"
        " (hint: each side of NEAR is a word, a phrase, @group or (a OR b))"
    ]


def test_rule_file_errors_give_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "synonyms:\n  capital: Kyiv|Kiev\nrules:\n"
        "  - name: one\n    query: Ukraine AND (NATO OR @capitall\n"
        "  - name: two\n    query: |\n      Ukraine AND\n      title:(NATO OR alliance))\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as error:
        load_rules([path])
    lines = str(error.value).splitlines()
    assert lines[0].startswith(f"{path}:5:33: rules.0.query: unknown synonym group @capitall")
    assert lines[1].startswith(f"{path}:9:31: rules.1.query: unexpected ')'")


def test_synonyms_and_structured_form_combine(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "synonyms:\n  capital: [Kyiv, Kiev]\nrules:\n"
        "  - name: r\n    query: '@capital AND title:NATO'\n    none: [football]\n",
        encoding="utf-8",
    )
    rules = RuleSet(load_rules([path]))
    article = Article(
        source="https://n.example/a",
        title=TITLE,
        paragraphs=(TEXT,),
        published=None,
        author=None,
        sitename="Kyiv Post",
        language="en",
    )
    (match,) = match_article(article, rules).matches
    assert match.hits == (Hit("text", "kyiv"), Hit("title", "nato"))
    football = Article(
        source="https://n.example/b",
        title=TITLE,
        paragraphs=(TEXT + " football",),
        published=None,
        author=None,
        sitename=None,
        language=None,
    )
    assert match_article(football, rules).matches == ()


def test_sources_and_languages_filter(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - name: r\n    query: NATO\n    languages: [en]\n"
        "    sources: {exclude: [tass.example]}\n",
        encoding="utf-8",
    )
    rules = RuleSet(load_rules([path]))

    def article(url: str, language: str) -> Article:
        return Article(
            source=url,
            title="NATO",
            paragraphs=("NATO met.",),
            published=None,
            author=None,
            sitename=None,
            language=language,
        )

    assert match_article(article("https://kyivpost.example/a", "en"), rules).matches
    assert not match_article(article("https://www.tass.example/a", "en"), rules).matches
    assert not match_article(article("https://kyivpost.example/a", "uk"), rules).matches
