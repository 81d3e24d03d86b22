"""The statement index: which stored statements a new one could be the same as, found
without comparing it with everything its speaker said in the window.

Each current statement in a story has one row per content word in `statement_terms`, keyed
(speaker, word, its word count, date, id), and one row for a hash of its normalised quote
(word count 0): quotes of fewer than MIN_CONTENT_WORDS content words are compared by that.
`statement_term_counts` says in how many statements of a speaker each word occurs.

The lookup is a prefilter that never drops a statement `choose_story` would take:
containment needs k = shared_needed(n, m) shared words between quotes of n and m words, so a
stored quote of m words shares one of any n - k + 1 words of the new quote. Those are taken
rarest first: the common words of a prolific speaker are looked up only among the short
quotes whose threshold needs them, each by an exact key and a date range. Candidates found
so are then checked exactly (their shared words counted by key), and their day of saying.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlite_utils

from monitor.statements.fingerprint import (
    MIN_CONTENT_WORDS,
    SAME_STATEMENT,
    content_words,
    normalise_quote,
    shared_needed,
)

LONG = 32  # quotes of this many content words or more are looked up by one range per word
FEW = 200  # a word in at most this many statements is looked up by one range
LIMIT = 50  # matches kept per statement, oldest first (choose_story takes the oldest)


@dataclass(frozen=True)
class Indexed:
    """What the index keeps of a stored statement."""

    id: int
    speaker: str
    quote: str
    words: frozenset[str]
    said_at: str


def quote_term(quote: str) -> str:
    """The term of a quote's normalised text ('=' never begins a content word)."""
    digest = hashlib.blake2b(normalise_quote(quote).encode(), digest_size=10).hexdigest()
    return f"={digest}"


def fingerprint(quote: str, words: Iterable[str] | None) -> frozenset[str]:
    """The content words choose_story compares: the stored ones, else the quote's."""
    return frozenset(words or ()) or content_words(quote)


def index_statements(db: sqlite_utils.Database, statements: Sequence[Indexed]) -> None:
    """Add statements to the index (each once: `n_words` on the statement marks it in)."""
    terms = []
    counts: dict[tuple[str, str], int] = {}
    for s in statements:
        n = len(s.words)
        terms.append((s.speaker, quote_term(s.quote), 0, s.said_at, s.id))
        if n >= MIN_CONTENT_WORDS:
            for word in s.words:
                terms.append((s.speaker, word, n, s.said_at, s.id))
                counts[(s.speaker, word)] = counts.get((s.speaker, word), 0) + 1
    conn = db.conn
    conn.executemany(
        "INSERT OR IGNORE INTO statement_terms (speaker, term, n_words, said_at, statement_id) "
        "VALUES (?, ?, ?, ?, ?)",
        terms,
    )
    conn.executemany(
        """INSERT INTO statement_term_counts (speaker, term, statements) VALUES (?, ?, ?)
           ON CONFLICT (speaker, term)
           DO UPDATE SET statements = statements + excluded.statements""",
        [(speaker, term, n) for (speaker, term), n in counts.items()],
    )
    conn.executemany(
        "UPDATE statements SET n_words = ? WHERE id = ?",
        [(len(s.words), s.id) for s in statements],
    )


def index_article(db: sqlite_utils.Database, article_id: int) -> None:
    """An article's current statements, once they are in a story."""
    rows = db.execute(
        """SELECT id, speaker, quote, words, said_at FROM statements
           WHERE article_id = ? AND story_id IS NOT NULL AND background = 0
             AND n_words IS NULL""",
        (article_id,),
    ).fetchall()
    index_statements(db, [_indexed(r) for r in rows])


def index_all(db: sqlite_utils.Database, batch: int = 5000) -> None:
    """Every current statement in a story not in the index yet (a migration)."""
    while True:
        rows = db.execute(
            """SELECT id, speaker, quote, words, said_at FROM statements
               WHERE story_id IS NOT NULL AND background = 0 AND n_words IS NULL
               ORDER BY id LIMIT ?""",
            (batch,),
        ).fetchall()
        if not rows:
            return
        index_statements(db, [_indexed(r) for r in rows])


def _indexed(row: Sequence[str]) -> Indexed:
    id_, speaker, quote, words, said_at = row
    return Indexed(int(id_), speaker, quote, fingerprint(quote, (words or "").split()), said_at)


def probes(
    words: Sequence[str], counts: dict[str, int], long: int = LONG, few: int = FEW
) -> tuple[list[tuple[str, int]], list[tuple[str, int, int]]]:
    """Which (word, word count) keys to look up for a quote of these words, rarest first:
    exact counts of the common words, and (word, lowest, highest count) ranges for the
    words in at most `few` statements and for quotes of `long` words or more.

    Word i (0-based) is needed for stored quotes of m words when k = shared_needed(n, m)
    words may be missed among the others, i.e. i < n - k + 1."""
    n = len(words)
    exact: list[tuple[str, int]] = []
    ranges: list[tuple[str, int, int]] = []
    if n < MIN_CONTENT_WORDS:
        return exact, ranges
    for i, word in enumerate(words):
        if i < n - shared_needed(n, n) + 1:  # needed for every length: n or more words too
            highest = 1 << 30
        else:
            lengths = [m for m in range(MIN_CONTENT_WORDS, n) if i < n - shared_needed(n, m) + 1]
            if not lengths:
                continue
            highest = max(lengths)
        if counts.get(word, 0) <= few:
            ranges.append((word, MIN_CONTENT_WORDS, highest))
            continue
        exact.extend((word, m) for m in range(MIN_CONTENT_WORDS, min(highest + 1, long)))
        if highest >= long:
            ranges.append((word, long, highest))
    return exact, ranges


def rarest_first(
    db: sqlite_utils.Database, speaker: str, words: frozenset[str]
) -> tuple[list[str], dict[str, int]]:
    """The words, those in fewest of the speaker's indexed statements first; the counts."""
    if not words:
        return [], {}
    ordered = sorted(words)
    marks = ",".join("?" * len(ordered))
    counts = dict(
        db.execute(
            f"""SELECT term, statements FROM statement_term_counts
                WHERE speaker = ? AND term IN ({marks})""",
            (speaker, *ordered),
        ).fetchall()
    )
    return sorted(ordered, key=lambda w: (counts.get(w, 0), w)), counts


_MATCHING = """
    WITH probe(term, m, hi) AS (
        SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(:probes)),
    word(term) AS (SELECT value FROM json_each(:words)),
    found(id, said_at, m) AS (
        SELECT t.statement_id, t.said_at, t.n_words
        FROM probe p CROSS JOIN statement_terms t
          ON t.speaker = :speaker AND t.term = p.term AND t.n_words = p.m
         AND t.said_at BETWEEN :low AND :high
        WHERE p.hi IS NULL
        UNION
        SELECT t.statement_id, t.said_at, t.n_words
        FROM probe r CROSS JOIN statement_terms t
          ON t.speaker = :speaker AND t.term = r.term AND t.n_words BETWEEN r.m AND r.hi
         AND t.said_at BETWEEN :low AND :high
        WHERE r.hi IS NOT NULL),
    same(id) AS (
        SELECT id FROM found WHERE m = 0 OR CAST((
            SELECT count(*) FROM word w CROSS JOIN statement_terms u
            ON u.speaker = :speaker AND u.term = w.term AND u.n_words = found.m
              AND u.said_at = found.said_at AND u.statement_id = found.id) AS REAL)
            / min(:n, found.m) >= :threshold)
    SELECT DISTINCT s.id FROM same CROSS JOIN statements s ON s.id = same.id
    WHERE s.article_id != :article AND s.story_id IS NOT NULL AND s.background = 0
      AND s.speaker = :speaker
      AND (:occasion IS NULL OR s.occasion IS NULL
           OR abs(julianday(s.occasion) - julianday(:occasion)) <= 1)
    ORDER BY s.id LIMIT :limit"""


def matching_ids(
    db: sqlite_utils.Database,
    speaker: str,
    quote: str,
    words: frozenset[str],
    occasion: str | None,
    window: tuple[str | None, str | None],
    article_id: int,
    limit: int = LIMIT,
) -> list[int]:
    """Ids of the oldest (up to `limit`) current statements in stories, of other articles,
    of this speaker, said within the window, that are the same statement as this one (by
    containment, or by normalised quote when either is short) on the same occasion."""
    ordered, counts = rarest_first(db, speaker, words)
    exact, ranges = probes(ordered, counts)
    low, high = window
    params = {
        "speaker": speaker,
        "low": low,
        "high": high,
        "n": max(len(ordered), 1),
        "threshold": SAME_STATEMENT,
        "occasion": occasion,
        "article": article_id,
        "limit": limit,
        "probes": json.dumps(
            [[quote_term(quote), 0, None], *([t, m, None] for t, m in exact), *ranges]
        ),
        "words": json.dumps(ordered),
    }
    return [int(r[0]) for r in db.conn.execute(_MATCHING, params).fetchall()]
