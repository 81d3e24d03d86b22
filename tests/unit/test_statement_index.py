"""The statement index on real SQLite files: a new report finds its story among everything
its speaker said, and only what the full comparison (choose_story) would have found."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlite_utils

from monitor.clock import to_iso
from monitor.records import StoredStatement
from monitor.statements.fingerprint import content_words
from monitor.statements.stories import choose_story
from monitor.storage import open_database
from monitor.storage.sqlite import statement_index
from monitor.storage.sqlite.stories import _stored_statement, _window, story_candidates
from tests.conftest import DATA

SPEAKER = "John Kirby"
DAY = datetime(2026, 3, 1, 12, tzinfo=UTC)
WINDOW = timedelta(days=14)
FILLER = (
    "budget harbour tractor violin orchard glacier pension vaccine satellite lantern "
    "festival railway copper meadow tunnel library"
).split()


def _db(tmp_path: Path) -> sqlite_utils.Database:
    db = open_database(tmp_path / "m.db")
    db.execute("INSERT INTO feeds (id, url, interval_seconds) VALUES (1, 'https://a.example', 300)")
    return db


def _article(db: sqlite_utils.Database, article_id: int) -> None:
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
    db: sqlite_utils.Database,
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
        story = db.table("stories")
        story.insert(
            {
                "speaker": speaker,
                "key_quote": quote,
                "first_article_id": article_id,
                "created_at": "x",
            }
        )
        story_id = int(story.last_rowid)
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


def _story_of(db: sqlite_utils.Database, quote: str, said_at: datetime = DAY, **kw: object):
    statement = _new(quote, **kw)  # type: ignore[arg-type]
    candidates = story_candidates(db, 0, [statement], said_at, WINDOW)
    return choose_story([statement], candidates).story_id, candidates


def _unrelated(db: sqlite_utils.Database, first_id: int, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    for i in range(count):
        words = rng.sample(FILLER, 6)
        _report(db, first_id + i, "We will " + " ".join(words), DAY - timedelta(hours=i % 200))


def test_a_story_is_found_among_many_unrelated_statements_of_its_speaker(
    tmp_path: Path,
) -> None:
    db = _db(tmp_path)
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


def test_a_statement_outside_the_window_is_not_found(tmp_path: Path) -> None:
    db = _db(tmp_path)
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


def test_another_speaker_or_another_day_of_saying_is_another_story(tmp_path: Path) -> None:
    db = _db(tmp_path)
    quote = "Ukraine must first win this war before joining the alliance"
    _report(db, 1, quote, occasion=date(2026, 2, 20))
    assert _story_of(db, quote, speaker="Antony Blinken")[0] is None
    assert _story_of(db, quote, occasion=date(2026, 2, 27))[0] is None
    assert _story_of(db, quote, occasion=date(2026, 2, 21))[0] is not None
    assert _story_of(db, quote)[0] is not None  # no day given: does not separate


def test_a_short_quote_matches_by_its_exact_words(tmp_path: Path) -> None:
    db = _db(tmp_path)
    _unrelated(db, 1, 50)
    story = _report(db, 100, "Absolutely not!")  # one content word
    _report(db, 101, "Absolutely")
    assert _story_of(db, "absolutely NOT")[0] == story
    assert _story_of(db, "Absolutely not, never")[0] is None  # two content words: another


def test_the_index_finds_what_comparing_with_everything_finds(tmp_path: Path) -> None:
    """Random quotes of a small vocabulary (so that many overlap), of 1 to 14 words: the
    story chosen from the index's candidates is the one chosen from all statements."""
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(25)]
    weights = [1 / (i + 1) for i in range(len(vocabulary))]

    def quote() -> str:
        return " ".join(rng.choices(vocabulary, weights, k=rng.randint(1, 14)))

    db = _db(tmp_path)
    stories: list[int] = []
    for i in range(400):
        joins = stories and rng.random() < 0.3
        stories.append(
            _report(
                db,
                i + 1,
                quote(),
                DAY - timedelta(hours=rng.randint(0, 24 * 30)),
                story_id=rng.choice(stories) if joins else None,
            )
        )
    ends = _window(DAY, WINDOW)
    everything = [
        _stored_statement(r)
        for r in db.execute(
            """SELECT min(id), story_id, speaker, quote, kind, background, occasion, words
               FROM statements WHERE said_at BETWEEN ? AND ?
               GROUP BY story_id, speaker, coalesce(words, quote), occasion
               ORDER BY min(id)""",
            ends,
        )
    ]
    found = 0
    for _ in range(300):
        statements = [_new(quote()) for _ in range(rng.randint(1, 3))]
        expected = choose_story(statements, everything).story_id
        candidates = story_candidates(db, 0, statements, DAY, WINDOW)
        assert choose_story(statements, candidates).story_id == expected
        found += expected is not None
    assert found > 50  # the comparison was not trivially empty


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
