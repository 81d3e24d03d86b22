"""Search queries as the user types them, read into words the engines cannot misread, and
the snippets that show where they matched (pure functions; the databases are in
tests/integration/test_history.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.durations import parse_since
from monitor.storage.sql.search import Term, fts5_query, parse, snippet, tsquery_text

TEXT = (
    "At the summit, we’ll be taking concrete steps to bring Ukraine closer to NATO and ensure "
    "that there is a bridge to membership. A bridge that is strong and well-lit. NATO will "
    "help build Ukraine’s future force."
)


@pytest.mark.parametrize(
    ("query", "fts5", "tsquery"),
    [
        ("bridge membership", '"bridge" AND "membership"', "(('bridge')) & (('membership'))"),
        ('"bridge to membership"', '"bridge to membership"',
         "(('bridge' <-> 'to' <-> 'membership'))"),
        ("zelensk*", '"zelensk"*', "(('zelensk':*))"),
        ("kirby OR blinken war", '("kirby" OR "blinken") AND "war"',
         "(('kirby') | ('blinken')) & (('war'))"),
        ("nato -football", '("nato") NOT ("football")', "(('nato')) & !('football')"),
        ("nato NOT football", '("nato") NOT ("football")', "(('nato')) & !('football')"),
        ('"bridge to', '"bridge to"', "(('bridge' <-> 'to'))"),
        ("U.S. well-lit", '"U S" AND "well lit"', "(('U' <-> 'S')) & (('well' <-> 'lit'))"),
        ("nato AND ukraine", '"nato" AND "ukraine"', "(('nato')) & (('ukraine'))"),
        ("'; DROP TABLE x; --", '"DROP" AND "TABLE" AND "x"',
         "(('DROP')) & (('TABLE')) & (('x'))"),
    ],
)  # fmt: skip
def test_queries_become_quoted_words(query: str, fts5: str, tsquery: str) -> None:
    parsed = parse(query)
    assert fts5_query(parsed) == fts5
    assert tsquery_text(parsed) == tsquery


@pytest.mark.parametrize(
    "query", ["", "   ", "AND", "OR", "NOT", "*", "-", '"', '""', "( )", "-nato", "NOT nato", "«»"]
)
def test_queries_without_a_word_to_find_are_empty(query: str) -> None:
    assert parse(query).empty


def test_a_speaker_narrows_through_the_index() -> None:
    parsed = parse("war")
    assert (
        fts5_query(parsed, ("John", "Kirby")) == '"war" AND speaker : "John" AND speaker : "Kirby"'
    )
    assert tsquery_text(parsed, ("Kirby",)) == "(('war')) & 'Kirby':A"
    assert fts5_query(parse(""), ("Kirby",)) == 'speaker : "Kirby"'


def test_a_long_paste_is_cut_to_its_first_words() -> None:
    assert len(parse(" ".join(f"w{i}" for i in range(500))).terms) == 32


@given(st.text(max_size=200))
def test_any_text_makes_a_query_fts5_accepts(text: str) -> None:
    """FTS5 parses whatever parse() makes of any input (PostgreSQL: the integration tests)."""
    parsed = parse(text)
    if parsed.empty:
        return
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO t (a) VALUES ('some words here')")
    conn.execute("SELECT * FROM t WHERE t MATCH ?", (fts5_query(parsed),)).fetchall()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            '"bridge to membership"',
            "… we’ll be taking concrete steps to bring Ukraine closer to NATO and ensure that "
            "there is a «bridge to membership». A bridge that is strong and well-lit. NATO …",
        ),
        (
            "nato ukr*",
            "… be taking concrete steps to bring «Ukraine» closer to «NATO» and ensure that "
            "there is a bridge to membership. A bridge that is strong and well-lit. «NATO» "
            "will help …",
        ),
        (
            "well-lit",
            "… bring Ukraine closer to NATO and ensure that there is a bridge to membership. A "
            "bridge that is strong and «well-lit». NATO will help build Ukraine’s future force.",
        ),
        (
            "absent",
            "At the summit, we’ll be taking concrete steps to bring Ukraine closer to NATO and "
            "ensure that there is a bridge to membership. A bridge that is strong and …",
        ),
    ],
)
def test_snippets_mark_the_matched_words(query: str, expected: str) -> None:
    assert snippet(TEXT, parse(query).terms) == expected


def test_snippets_fold_case_and_accents_and_keep_their_marks_unambiguous() -> None:
    text = "Le président Macron a dit « non » au projet. " * 3 + "Puis: PRÉSIDENT Sánchez."
    found = snippet(text, parse("president sanchez").terms)
    assert "«PRÉSIDENT Sánchez»" in found
    assert "« non »" not in found
    assert "dit “ «non» ” au" in snippet(text, parse("non").terms)


def test_a_short_text_is_whole_and_a_long_one_is_cut_near_the_match() -> None:
    assert snippet("First they gotta win this war", (Term(("war",)),)) == (
        "First they gotta win this «war»"
    )
    long = "filler words " * 5000 + "the needle is here " + "more words " * 5000
    cut = snippet(long, parse("needle").terms)
    assert cut.startswith("… ") and cut.endswith(" …") and "«needle»" in cut
    assert len(cut.split()) <= 34


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        ("12h", NOW - timedelta(hours=12)),
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T08:00", datetime(2026, 1, 31, 8, tzinfo=UTC)),
        ("2026-01-31T08:00Z", datetime(2026, 1, 31, 8, tzinfo=UTC)),
        ("999999999d", datetime.min.replace(tzinfo=UTC)),
    ],
)
def test_since_takes_a_date_or_a_duration_back(value: str, expected: datetime) -> None:
    assert parse_since(value, NOW) == expected


@pytest.mark.parametrize("value", ["yesterday", "", "2026", "-3d", "0d", "31/01/2026"])
def test_since_refuses_what_it_cannot_read(value: str) -> None:
    with pytest.raises(ValueError, match="use a date like 2026-01-31"):
        parse_since(value, NOW)
