"""The statements and stories tables: which article reports which statement, and the story
(the first report of a statement) each later report joins."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitor.clock import to_iso
from monitor.records import Statement
from monitor.statements.fingerprint import same_statement
from monitor.statements.occasion import occasion_date, same_occasion


@dataclass(frozen=True)
class StoryAssignment:
    story_id: int | None
    is_new: bool
    known_quotes: tuple[str, ...] = ()  # what the story had quoted before this article


def assign_story(
    conn: sqlite3.Connection,
    article_id: int,
    statements: Sequence[Statement],
    said_at: datetime,
    window: timedelta,
    now: datetime,
    occasions: Mapping[str, date | None] | None = None,
) -> StoryAssignment:
    """Join the story of an earlier report of the same statement, or open a new story.

    Background quotes neither open nor join a story; similar words said on another day are
    another statement. `occasions` gives, per speaker, the day the article says they spoke.
    Call inside the article's transaction, so two reports of one statement processed at once
    cannot both open a story.
    """
    current = [s for s in statements if not s.background]
    days = {id(s): _day(s, said_at, occasions or {}) for s in statements}
    story_id = _matching_story(conn, current, said_at, window, days)
    known: tuple[str, ...] = ()
    is_new = False
    if story_id is not None:
        known = tuple(
            r[0]
            for r in conn.execute(
                "SELECT quote FROM statements WHERE story_id = ? ORDER BY id", (story_id,)
            )
        )
    elif current:
        key = next((s for s in current if s.kind == "direct"), current[0])
        story_id = conn.execute(
            "INSERT INTO stories (speaker, key_quote, first_article_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            (key.speaker, key.quote, article_id, to_iso(now)),
        ).lastrowid
        is_new = True
    _insert_statements(conn, article_id, statements, story_id, said_at, days)
    return StoryAssignment(story_id=story_id, is_new=is_new, known_quotes=known)


def _matching_story(
    conn: sqlite3.Connection,
    statements: Sequence[Statement],
    said_at: datetime,
    window: timedelta,
    days: Mapping[int, date | None],
) -> int | None:
    speakers = sorted({s.speaker for s in statements})
    if not speakers:
        return None
    marks = ",".join("?" * len(speakers))
    rows = conn.execute(
        f"""SELECT story_id, speaker, quote, occasion FROM statements
            WHERE speaker IN ({marks}) AND story_id IS NOT NULL AND background = 0
              AND said_at BETWEEN ? AND ? ORDER BY id""",
        (*speakers, to_iso(said_at - window), to_iso(said_at + window)),
    ).fetchall()
    for statement in statements:
        for story_id, speaker, quote, other_day in rows:
            if same_statement(statement.speaker, statement.quote, speaker, quote) and (
                same_occasion(days[id(statement)], _parse_day(other_day))
            ):
                return int(story_id)
    return None


def _insert_statements(
    conn: sqlite3.Connection,
    article_id: int,
    statements: Sequence[Statement],
    story_id: int | None,
    said_at: datetime,
    days: Mapping[int, date | None],
) -> None:
    conn.executemany(
        """INSERT INTO statements (article_id, story_id, speaker, role, quote, kind, sentence,
                                   background, said_at, occasion)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                article_id,
                None if s.background else story_id,
                s.speaker,
                s.role,
                s.quote,
                s.kind,
                s.sentence,
                int(s.background),
                to_iso(said_at),
                _iso_day(days[id(s)]),
            )
            for s in statements
        ],
    )


def _day(
    statement: Statement, said_at: datetime, occasions: Mapping[str, date | None]
) -> date | None:
    """The day in the statement's own sentence, else the day the article gives its speaker."""
    return occasion_date(statement.sentence, said_at.date()) or occasions.get(statement.speaker)


def _iso_day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def root_alert(conn: sqlite3.Connection, story_id: int, rule: str) -> int | None:
    """The top-level alert already queued for this story and rule, if any."""
    row = conn.execute(
        "SELECT id FROM outbox WHERE story_id = ? AND rule = ? AND parent_id IS NULL "
        "ORDER BY id LIMIT 1",
        (story_id, rule),
    ).fetchone()
    return None if row is None else int(row[0])


def outlet_count(conn: sqlite3.Connection, story_id: int) -> int:
    row = conn.execute(
        "SELECT count(DISTINCT article_id) FROM statements WHERE story_id = ?", (story_id,)
    ).fetchone()
    return int(row[0])
