"""The statement index on real databases (an SQLite file and a PostgreSQL database): a new
report finds its story among everything its speaker said, and only what the full comparison
(choose_story) would have found."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from monitor.clock import to_iso
from monitor.records import StoredStatement
from monitor.statements.fingerprint import content_words
from monitor.statements.stories import choose_story
from monitor.storage import open_database
from monitor.storage.sql import statement_index
from monitor.storage.sql.dialect import Db, insert, is_postgres
from monitor.storage.sql.stories import _stored_statement, _window, story_candidates
from tests.conftest import DATA, open_db

SPEAKER = "John Kirby"
DAY = datetime(2026, 3, 1, 12, tzinfo=UTC)
WINDOW = timedelta(days=14)
FILLER = (
    "budget harbour tractor violin orchard glacier pension vaccine satellite lantern "
    "festival railway copper meadow tunnel library"
).split()


@pytest.fixture
def db(database: str) -> Iterator[Db]:
    """A database with one feed, on the backend under test."""
    opened = open_db(database)
    opened.execute(
        "INSERT INTO feeds (id, url, interval_seconds) VALUES (1, 'https://a.example', 300)"
    )
    yield opened
    opened.conn.close()


def _article(db: Db, article_id: int) -> None:
    db.execute(
        "INSERT INTO entries (id, feed_id, key, first_seen_at, status) VALUES (?, 1, ?, 'x', "
        "'done')",
        (article_id, f"k{article_id}"),
    )
    db.execute(
        "INSERT INTO articles (id, entry_id, url, url_key, text, fetched_at) "
        "VALUES (?, ?, 'u', ?, 't', 'x')",
        (article_id, article_id, f"u{article_id}"),
    )


def _report(
    db: Db,
    article_id: int,
    quote: str,
    said_at: datetime = DAY,
    speaker: str = SPEAKER,
    occasion: date | None = None,
    story_id: int | None = None,
) -> int:
    """An article that reports `quote` in a story (its own, unless `story_id`), indexed as
    the writer indexes it. Returns the story."""
    _article(db, article_id)
    if story_id is None:
        story_id = insert(
            db,
            "stories",
            {
                "speaker": speaker,
                "key_quote": quote,
                "first_article_id": article_id,
                "created_at": "x",
            },
        )
    db.execute(
        """INSERT INTO statements (article_id, story_id, speaker, quote, kind, sentence,
               said_at, occasion, words) VALUES (?, ?, ?, ?, 'direct', '', ?, ?, ?)""",
        (
            article_id,
            story_id,
            speaker,
            quote,
            to_iso(said_at),
            occasion.isoformat() if occasion else None,
            " ".join(sorted(content_words(quote))) or None,
        ),
    )
    statement_index.index_article(db, article_id)
    return story_id


def _new(quote: str, speaker: str = SPEAKER, occasion: date | None = None) -> StoredStatement:
    return StoredStatement(
        id=0,
        story_id=None,
        speaker=speaker,
        quote=quote,
        kind="direct",
        background=False,
        occasion=occasion,
        words=content_words(quote),
    )


def _story_of(db: Db, quote: str, said_at: datetime = DAY, **kw: object):
    statement = _new(quote, **kw)  # type: ignore[arg-type]
    candidates = story_candidates(db, 0, [statement], said_at, WINDOW)
    return choose_story([statement], candidates).story_id, candidates


def _unrelated(db: Db, first_id: int, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    for i in range(count):
        words = rng.sample(FILLER, 6)
        _report(db, first_id + i, "We will " + " ".join(words), DAY - timedelta(hours=i % 200))


def test_a_story_is_found_among_many_unrelated_statements_of_its_speaker(db: Db) -> None:
    _unrelated(db, 1, 300)
    story = _report(
        db,
        1000,
        "Ukraine must first win this war before joining the alliance",
        DAY - timedelta(days=2),
    )
    _unrelated(db, 2000, 300, seed=2)
    found, candidates = _story_of(db, "first they gotta win this war, Ukraine, then the alliance")
    assert found == story
    assert len(candidates) < 10  # the index, not the 600 statements, gave them


def test_a_statement_outside_the_window_is_not_found(db: Db) -> None:
    _report(
        db,
        1,
        "Ukraine must first win this war before joining the alliance",
        DAY - timedelta(days=20),
    )
    found, candidates = _story_of(db, "Ukraine must first win this war before joining the alliance")
    assert found is None and candidates == []
    found, _ = _story_of(
        db,
        "Ukraine must first win this war before joining the alliance",
        said_at=DAY - timedelta(days=10),
    )
    assert found is not None


def test_another_speaker_or_another_day_of_saying_is_another_story(db: Db) -> None:
    quote = "Ukraine must first win this war before joining the alliance"
    _report(db, 1, quote, occasion=date(2026, 2, 20))
    assert _story_of(db, quote, speaker="Antony Blinken")[0] is None
    assert _story_of(db, quote, occasion=date(2026, 2, 27))[0] is None
    assert _story_of(db, quote, occasion=date(2026, 2, 21))[0] is not None
    assert _story_of(db, quote)[0] is not None  # no day given: does not separate


def test_a_short_quote_matches_by_its_exact_words(db: Db) -> None:
    _unrelated(db, 1, 50)
    story = _report(db, 100, "Absolutely not!")  # one content word
    _report(db, 101, "Absolutely")
    assert _story_of(db, "absolutely NOT")[0] == story
    assert _story_of(db, "Absolutely not, never")[0] is None  # two content words: another


def _everything(db: Db, said_at: datetime = DAY) -> list[StoredStatement]:
    """Every statement in the window: the exhaustive comparison the index stands in for."""
    return [
        _stored_statement(r)
        for r in db.execute(
            """SELECT id, story_id, speaker, quote, kind, background, occasion, words, setting
               FROM statements WHERE id IN (
                   SELECT min(id) FROM statements WHERE said_at BETWEEN ? AND ?
                   GROUP BY story_id, speaker, coalesce(words, quote), occasion, setting)
               ORDER BY id""",
            _window(said_at, WINDOW),
        )
    ]


def _zipf(size: int, offset: int = 10) -> tuple[list[str], list[float]]:
    """Words with Zipf-Mandelbrot weights 1 / (rank + offset): with offset 10 the most
    common word is in about one statement in six, as a speaker's most frequent content word
    ("Ukraine") may be; stopwords are not content words."""
    return [f"word{i}" for i in range(size)], [1 / (i + offset) for i in range(size)]


def _reworded(rng: random.Random, quote: str, words: list[str], weights: list[float]) -> str:
    """Another outlet's version of a quote: a fragment of it, or it with words dropped and
    added around it (as a longer excerpt or a paraphrase)."""
    own = quote.split()[2:]  # after "We will"
    if rng.random() < 0.3 and len(own) > 4:
        start = rng.randrange(len(own) - 3)
        kept = own[start : start + rng.randint(3, 5)]
    else:
        kept = [w for w in own if rng.random() > 0.25]
        kept += rng.choices(words, weights, k=rng.randint(0, 4))
    return "We will " + " ".join(kept)


def test_the_index_finds_what_comparing_with_everything_finds(db: Db) -> None:
    """Realistic reports: a speaker's quotes of Zipf-distributed words (1 to 3 words or 5
    to 14, some longer), a third of them other outlets' versions (fragments, longer
    excerpts, paraphrases) of an earlier one, joining its story; over a month. New reports,
    half of them versions of a stored quote: the story chosen from the index's candidates
    is the one chosen by comparing with every statement in the window."""
    rng = random.Random(5)
    words, weights = _zipf(3000)

    def fresh() -> str:
        length = rng.randint(1, 3) if rng.random() < 0.05 else rng.randint(5, 14)
        length += rng.randint(6, 12) if rng.random() < 0.05 else 0
        return "We will " + " ".join(rng.choices(words, weights, k=length))

    reports: list[tuple[str, int]] = []
    for i in range(400):
        if reports and rng.random() < 0.35:
            quote, story = rng.choice(reports)
            quote = _reworded(rng, quote, words, weights)
        else:
            quote, story = fresh(), None  # type: ignore[assignment]
        said = DAY - timedelta(hours=rng.randint(0, 24 * 30))
        reports.append((quote, _report(db, i + 1, quote, said, story_id=story)))
    everything = _everything(db)
    found = 0
    for _ in range(300):
        statements = [
            _new(_reworded(rng, rng.choice(reports)[0], words, weights))
            if rng.random() < 0.5
            else _new(fresh())
            for _ in range(rng.randint(1, 3))
        ]
        expected = choose_story(statements, everything).story_id
        candidates = story_candidates(db, 0, statements, DAY, WINDOW)
        assert choose_story(statements, candidates).story_id == expected
        found += expected is not None
    assert found > 100  # the comparison was not trivially empty


def test_the_lookup_reads_a_bounded_number_of_postings_newest_first(db: Db) -> None:
    """More than POSTINGS newer statements in the window share every word of a new quote:
    the lookup reads at most POSTINGS postings per probed word (the query plan walks the
    primary key backwards, no sort), and finds the story among the recent statements. The
    oldest report, beyond those postings, is not reached: the documented price."""
    quote = "Ukraine must first win this war before joining the alliance"
    oldest = _report(db, 1, quote, DAY - timedelta(days=10))
    for i in range(3 * statement_index.POSTINGS):
        _report(
            db,
            100 + i,
            f"{quote} {FILLER[i % len(FILLER)]} {FILLER[(i * 7) % len(FILLER)]}",
            DAY - timedelta(days=5, minutes=-i),
        )
    recent = _report(db, 1000, quote, DAY - timedelta(days=1))  # story 2 + 3 * POSTINGS
    statement = _new(quote)
    found = statement_index.lookup(db, SPEAKER, quote, statement.words, None, _window(DAY, WINDOW))
    assert len(found.probes) == statement_index.probe_count(len(statement.words))
    assert found.postings == len(found.probes) * statement_index.POSTINGS
    assert len(found.ids) == statement_index.CANDIDATES
    story, candidates = _story_of(db, quote)
    assert recent in {c.story_id for c in candidates}  # the newest report is among them
    # every one found is the same statement: the oldest story among them is taken
    assert story == min(c.story_id for c in candidates if c.story_id is not None)
    assert story != oldest  # the oldest report is beyond the postings read: the price
    assert choose_story([statement], _everything(db)).story_id == oldest

    if is_postgres(db):
        return  # the query plan below is SQLite's (PostgreSQL's depends on its statistics)
    assert isinstance(db, sqlite_utils.Database)
    plan = " ".join(
        str(row[-1])
        for row in db.conn.execute(
            "EXPLAIN QUERY PLAN " + statement_index._postings_sql(2),
            {"t0": "ukraine", "t1": "war", "speaker": SPEAKER, "low": "a", "high": "z"}
            | {"postings": statement_index.POSTINGS},
        )
    )
    search = "SEARCH statement_terms USING PRIMARY KEY (speaker=? AND term=? AND said_at>? "
    assert plan.count(search) == 2
    assert "TEMP B-TREE" not in plan  # no sort: the LIMIT stops the walk


def test_the_postings_read_do_not_grow_with_the_history(db: Db) -> None:
    quote = "Ukraine must first win this war before joining the alliance"
    statement = _new(quote)
    read = []
    for batch in range(3):
        _unrelated(db, 1 + 10_000 * batch, 300 * (batch + 1), seed=batch)
        _report(db, 9000 + 10_000 * batch, quote + " " + FILLER[batch], DAY - timedelta(days=1))
        found = statement_index.lookup(
            db, SPEAKER, quote, statement.words, None, _window(DAY, WINDOW)
        )
        read.append(found.postings)
    bound = statement_index.probe_count(len(statement.words)) * statement_index.POSTINGS
    assert all(0 < r <= bound for r in read)


def test_a_version_3_database_is_indexed_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path)
    conn.executescript((DATA / "schema_v3.sql").read_text(encoding="utf-8"))
    conn.execute("INSERT INTO feeds (id, url, interval_seconds) VALUES (1, 'https://a.example', 3)")
    quotes = [
        "Ukraine must first win this war before joining the alliance",
        "Absolutely not",
        *(f"We will build {a} and {b} soon" for a in FILLER for b in FILLER[:4]),
    ]
    for i, quote in enumerate(quotes, start=1):
        conn.execute(
            "INSERT INTO entries (id, feed_id, key, first_seen_at, status) "
            "VALUES (?, 1, ?, 'x', 'done')",
            (i, f"k{i}"),
        )
        conn.execute(
            "INSERT INTO articles (id, entry_id, url, url_key, text, fetched_at) "
            "VALUES (?, ?, 'u', ?, 't', 'x')",
            (i, i, f"u{i}"),
        )
        conn.execute(
            "INSERT INTO stories (id, speaker, key_quote, first_article_id, created_at) "
            "VALUES (?, ?, ?, ?, 'x')",
            (i, SPEAKER, quote, i),
        )
        conn.execute(  # words NULL, as statements stored before version 3 have them
            "INSERT INTO statements (article_id, story_id, speaker, quote, kind, sentence, "
            "background, said_at) VALUES (?, ?, ?, ?, 'direct', '', 0, ?)",
            (i, i, SPEAKER, quote, to_iso(DAY)),
        )
    conn.execute(  # background statements stay out of the index
        "INSERT INTO statements (article_id, speaker, quote, kind, sentence, background, "
        "said_at) VALUES (1, ?, 'Ukraine will never join', 'direct', '', 1, ?)",
        (SPEAKER, to_iso(DAY)),
    )
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()

    db = open_database(path)
    (indexed,) = db.execute("SELECT count(DISTINCT statement_id) FROM statement_terms").fetchone()
    assert indexed == len(quotes)
    assert _story_of(db, "Ukraine must win this war first, before the alliance")[0] == 1
    assert _story_of(db, "absolutely not!")[0] == 2
    assert _story_of(db, "Ukraine will never join")[0] is None
