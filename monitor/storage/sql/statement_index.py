"""The statement index: which stored statements a new one could be the same as, found by a
bounded number of index reads whatever the size of its speaker's history.

Each current statement in a story has one row ("posting") per content word in
`statement_terms`, keyed (speaker, word, date, id) so that a word's postings of one speaker
are read newest first within the date window; a quote of fewer than MIN_CONTENT_WORDS
content words has one posting for a hash of its normalised quote instead (such quotes are
the same statement only by that text). `statement_term_counts` says in how many of a
speaker's statements each word occurs.

A lookup takes the new quote's content words that the speaker's index knows, rarest first,
and probes the first max(PROBES, n - shared_needed(n, n) + 1) of them (n: the quote's
content words); for each it reads at most POSTINGS postings, newest first, in the window. It
counts the probed words each statement found shares, ranks them (enough shared words to
pass containment on what was read first, then more shared words, then newest) and keeps
the first CANDIDATES. Those are loaded and `choose_story` decides exactly as when comparing
with everything, oldest story first among them. Work per lookup: at most
probes x POSTINGS index rows, whatever the history.

The price: a stored statement that `choose_story` would take is missed only when
  1. it shares none of the probed (rarest) words. The probes hold n - shared_needed(n, n)
     + 1 words, so a stored quote at least as long as the new one, which must share
     shared_needed(n, n) of its words, always shares one. A shorter stored quote of m
     words (a fragment of the new quote) can be missed when the new quote has more known
     words than probes and all shared_needed(n, m) words it shares are among the more
     common ones; or
  2. for every probed word it shares, more than POSTINGS newer statements of that speaker
     in the window hold that word; or
  3. more than CANDIDATES other statements found rank before it.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from monitor.statements.fingerprint import (
    MIN_CONTENT_WORDS,
    SAME_STATEMENT,
    content_words,
    normalise_quote,
    shared_needed,
)
from monitor.statements.occasion import same_occasion
from monitor.storage.sql.dialect import Db, execute_many, json_texts

# Rarest words probed per new statement (at least; more for quotes of more than 2.5 x as
# many words, so that any stored quote at least as long is always reached). More probes
# find more fragments of long quotes, at POSTINGS index rows each.
PROBES = 12
# Postings read per probed word, newest first in the window. A stored statement is out of
# reach only when more than this many newer statements of its speaker in the window hold
# each probed word it shares; a lookup reads at most probes x POSTINGS rows.
POSTINGS = 32
# Statements found kept per new statement (ranked), loaded for choose_story.
CANDIDATES = 16


@dataclass(frozen=True)
class Indexed:
    """What the index keeps of a stored statement."""

    id: int
    speaker: str
    quote: str
    words: frozenset[str]
    said_at: str
    occasion: str | None = None


@dataclass(frozen=True)
class Found:
    """What a lookup found: the candidate ids (best first), the words probed and how many
    postings were read (at most probes x POSTINGS)."""

    ids: list[int]
    probes: list[str]
    postings: int


def quote_term(quote: str) -> str:
    """The term of a quote's normalised text ('=' never begins a content word)."""
    digest = hashlib.blake2b(normalise_quote(quote).encode(), digest_size=10).hexdigest()
    return f"={digest}"


def fingerprint(quote: str, words: Iterable[str] | None) -> frozenset[str]:
    """The content words choose_story compares: the stored ones, else the quote's."""
    return frozenset(words or ()) or content_words(quote)


def _terms(s: Indexed) -> list[str]:
    if len(s.words) < MIN_CONTENT_WORDS:
        return [quote_term(s.quote)]
    return sorted(s.words)


def index_statements(db: Db, statements: Sequence[Indexed]) -> None:
    """Add statements to the index (each once: `n_words` on the statement marks it in)."""
    postings = []
    counts: dict[tuple[str, str], int] = {}
    for s in statements:
        n = len(s.words)
        for term in _terms(s):
            postings.append((s.speaker, term, s.said_at, s.id, n, s.occasion))
            if n >= MIN_CONTENT_WORDS:
                counts[(s.speaker, term)] = counts.get((s.speaker, term), 0) + 1
    execute_many(
        db,
        "INSERT INTO statement_terms (speaker, term, said_at, statement_id, n_words, occasion) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        postings,
    )
    execute_many(
        db,
        """INSERT INTO statement_term_counts (speaker, term, statements) VALUES (?, ?, ?)
           ON CONFLICT (speaker, term) DO UPDATE
           SET statements = statement_term_counts.statements + excluded.statements""",
        [(speaker, term, n) for (speaker, term), n in counts.items()],
    )
    execute_many(
        db,
        "UPDATE statements SET n_words = ? WHERE id = ?",
        [(len(s.words), s.id) for s in statements],
    )


_UNINDEXED = """SELECT id, speaker, quote, words, said_at, occasion FROM statements
    WHERE story_id IS NOT NULL AND background = 0 AND n_words IS NULL"""


def index_article(db: Db, article_id: int) -> None:
    """An article's current statements, once they are in a story."""
    rows = db.execute(f"{_UNINDEXED} AND article_id = ?", (article_id,)).fetchall()
    index_statements(db, [_indexed(r) for r in rows])


def index_all(db: Db, batch: int = 5000) -> None:
    """Every current statement in a story not in the index yet (a migration)."""
    while True:
        rows = db.execute(f"{_UNINDEXED} ORDER BY id LIMIT ?", (batch,)).fetchall()
        if not rows:
            return
        index_statements(db, [_indexed(r) for r in rows])


def _indexed(row: Sequence[str]) -> Indexed:
    id_, speaker, quote, words, said_at, occasion = row
    return Indexed(
        int(id_), speaker, quote, fingerprint(quote, (words or "").split()), said_at, occasion
    )


def probe_count(n: int, probes: int = PROBES) -> int:
    """How many of a quote's n known words are probed: `probes`, or as many as make any
    stored quote at least as long share one of them (n - shared_needed(n, n) + 1)."""
    return min(n, max(probes, n - shared_needed(n, n) + 1)) if n else 0


def rarest(db: Db, speaker: str, words: frozenset[str]) -> list[str]:
    """The words the speaker's index holds, those in fewest of their statements first."""
    if not words:
        return []
    rarest_first = f"""SELECT term FROM statement_term_counts
        WHERE speaker = ? AND term IN {json_texts(db)} ORDER BY statements, term"""
    return [r[0] for r in db.execute(rarest_first, (speaker, json.dumps(sorted(words))))]


@cache
def _postings_sql(probes: int) -> str:
    """One query for `probes` probed terms (:t0, :t1, ...): each arm reads at most
    :postings rows of the primary key backwards (newest first) within the window."""
    return " UNION ALL ".join(
        f"""SELECT * FROM (SELECT statement_id, said_at, n_words, occasion, {i}
                FROM statement_terms
                WHERE speaker = :speaker AND term = :t{i} AND said_at BETWEEN :low AND :high
                ORDER BY said_at DESC, statement_id DESC LIMIT :postings) AS probe{i}"""
        for i in range(probes)
    )


def lookup(
    db: Db,
    speaker: str,
    quote: str,
    words: frozenset[str],
    occasion: str | None,
    window: tuple[str | None, str | None],
    *,
    probes: int = PROBES,
    postings: int = POSTINGS,
    candidates: int = CANDIDATES,
) -> Found:
    """The stored statements of this speaker in the window that may be the same statement
    as this one (see the module's docstring for what may be missed), best first.

    A statement found shares `shared` probed words for certain, and at most `possible`:
    those, the probed words whose postings were cut off before its date, and the known
    words not probed. Those that cannot reach containment are dropped; the others rank by
    reaching it on what was read, then shared words, then newest."""
    if len(words) < MIN_CONTENT_WORDS:
        known = terms = [quote_term(quote)]
    else:
        known = rarest(db, speaker, words)
        terms = known[: probe_count(len(known), probes)]
    if not terms:
        return Found([], [], 0)
    low, high = window
    params: dict[str, object] = {f"t{i}": term for i, term in enumerate(terms)}
    params.update(speaker=speaker, low=low, high=high, postings=postings)
    rows = db.execute(_postings_sql(len(terms)), params).fetchall()
    shared = Counter(r[0] for r in rows)
    found = {r[0]: r for r in rows}  # id: (id, said_at, n_words, occasion, probe)
    read = Counter(r[4] for r in rows)
    oldest = {r[4]: r[1] for r in rows}  # newest first: the last of a probe is its oldest
    cut = sorted(oldest[p] for p, count in read.items() if count >= postings)
    n, unprobed = len(words), len(known) - len(terms)
    day = date.fromisoformat(occasion) if occasion else None
    ranked = []
    for id_, (_, said_at, m, said_on, _) in found.items():
        if day and said_on and not same_occasion(day, date.fromisoformat(said_on)):
            continue
        shorter = max(min(n, m), 1)
        count = shared[id_]
        certain = count / shorter >= SAME_STATEMENT
        if not certain and n >= MIN_CONTENT_WORDS:
            possible = count + unprobed + len(cut) - bisect_left(cut, said_at)
            if possible / shorter < SAME_STATEMENT:
                continue
        ranked.append((certain, count, said_at, id_))
    ranked.sort(reverse=True)
    return Found([r[3] for r in ranked[:candidates]], terms, len(rows))
