"""Full-text search over the history: articles (title, text) and statements (speaker, quote).

SQLite searches its FTS5 indexes (storage/sqlite/schema.py: SEARCH), PostgreSQL its
generated tsvector columns with GIN indexes (storage/postgres/schema.py: V3). Both index
whole words, case and accents folded, without stemming, so a query finds the same rows on
either backend.

The user's query is never handed to either engine as written: it is read here into words,
phrases, prefixes, alternatives and exclusions (`parse`), and each backend gets a query
built from the words alone, every one quoted (`fts5_query`, `tsquery_text`). Any input is
accepted: unbalanced quotes, a lone `AND`, `*` or `-`, punctuation. What is not a word is
ignored, and a query with no word to look for finds nothing.

Query syntax (as in web search boxes):

    bridge membership       both words (title or text; speaker or quote)
    "bridge to membership"  the words in this order
    zelensk*                a word starting with `zelensk`
    kirby OR blinken        either (OR binds tighter than the implicit AND)
    -football, NOT football not this word (nor phrase)
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.clock import AHEAD_TOLERANCE, from_iso, to_iso
from monitor.records import SearchHit
from monitor.storage.postgres.schema import SEARCH_CONFIG
from monitor.storage.sql.dialect import Db, is_postgres, search_rows

WORD = re.compile(r"[^\W_]+")  # what both engines' tokenizers call a word, near enough
MAX_TERMS = 32  # a pasted paragraph is searched for its first words
# Matches ranked per kind: the newest this many (a word found in most articles ranks the
# recent ones, at the same cost whatever the size of the history).
RECENT = 1000
SNIPPET_WORDS = 30
REGION = 250  # characters each side of the snippet's place that are split into words
_JOINERS = " -‐‑'’"  # between two marked words, these stay inside one mark (`«well-lit»`)
_LEX = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)"?(?P<star>\*?)|(?P<word>[^\s"]+)')


@dataclass(frozen=True)
class Term:
    """A word or a phrase (words in order); `prefix`: its last word may go on."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    """All of `groups` (each: any of its terms), none of `excluded`."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    terms: tuple[Term, ...] = field(default=(), compare=False)  # the positive ones, in order

    @property
    def empty(self) -> bool:
        return not self.groups


def parse(text: str) -> Query:
    """Read a query; never fails (what is not a word is ignored)."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    either = negate = False
    count = 0
    for m in _LEX.finditer(text):
        if m.group("word") is not None:
            word = m.group("word")
            if word in ("OR", "|"):
                either = bool(groups)
                continue
            if word in ("AND", "&"):
                continue
            if word == "NOT":
                negate = True
                continue
            negative = word.startswith("-")
            term = Term(tuple(WORD.findall(word)), word.endswith("*"))
        else:
            negative = bool(m.group("neg"))
            term = Term(tuple(WORD.findall(m.group("phrase"))), bool(m.group("star")))
        negative, negate = negative or negate, False
        if not term.words:
            continue
        count += 1
        if count > MAX_TERMS:
            break
        if negative:
            excluded.append(term)
            either = False
        elif either:
            groups[-1].append(term)
            either = False
        else:
            groups.append([term])
    positive = tuple(t for g in groups for t in g)
    return Query(tuple(tuple(g) for g in groups), tuple(excluded), positive)


def fts5_query(query: Query, speaker: tuple[str, ...] = ()) -> str:
    """The query in FTS5's syntax: every word inside a string, so nothing is an operator.
    `speaker`: words the statement's speaker column must hold too."""

    def term(t: Term) -> str:
        return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

    def group(g: tuple[Term, ...]) -> str:
        return term(g[0]) if len(g) == 1 else "(" + " OR ".join(term(t) for t in g) + ")"

    parts = [group(g) for g in query.groups] + [f'speaker : "{w}"' for w in speaker]
    positive = " AND ".join(parts)
    if not query.excluded:
        return positive
    return f"({positive}) NOT (" + " OR ".join(term(t) for t in query.excluded) + ")"


def tsquery_text(query: Query, speaker: tuple[str, ...] = (), *, loose: bool = False) -> str:
    """The query as PostgreSQL tsquery text: every word a quoted lexeme (letters and digits
    only, so no quote to escape). `speaker`: words the speaker (weight A) must hold too.

    `loose`: what the GIN index answers alone, without reading any row's tsvector: a
    phrase's words in any order and place, no weights, no phrase excluded. It matches a
    superset of the query; `exact` says whether the difference must be checked."""

    def term(t: Term) -> str:
        lexemes = [f"'{w}'" for w in t.words]
        if t.prefix:
            lexemes[-1] += ":*"
        return "(" + (" & " if loose else " <-> ").join(lexemes) + ")"

    parts = ["(" + " | ".join(term(t) for t in g) + ")" for g in query.groups]
    parts += [f"'{w}'" if loose else f"'{w}':A" for w in speaker]
    parts += [f"!{term(t)}" for t in query.excluded if not loose or len(t.words) == 1]
    return " & ".join(parts)


def exact(query: Query) -> bool:
    """Whether rows matching the loose query must be checked against the query itself (it
    has phrases); a speaker's weight needs no check: the speaker column is compared."""
    return any(len(t.words) > 1 for t in (*query.terms, *query.excluded))


def fold(word: str) -> str:
    """Case and accents away (for marking the matched words in a snippet)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _variants() -> dict[str, str]:
    """A regex class per ASCII letter: the letter and its accented Latin forms
    (`[eèéêë…]`; case is the regex's IGNORECASE)."""
    found: dict[str, set[str]] = {}
    for code in range(0xC0, 0x250):
        accented = chr(code)
        plain = fold(accented)
        if len(plain) == 1 and plain.isascii() and plain.isalpha() and accented.islower():
            found.setdefault(plain, {plain}).add(accented)
    return {plain: "[" + "".join(sorted(forms)) + "]" for plain, forms in found.items()}


_CLASSES = _variants()


@functools.lru_cache(maxsize=256)
def _finder(words: frozenset[str], prefixes: frozenset[str]) -> re.Pattern[str]:
    """A regex finding the terms' words (any case, accented or not) as whole words."""

    def letters(word: str) -> str:
        return "".join(_CLASSES.get(c, re.escape(c)) for c in word)

    choices = [letters(w) for w in sorted(words, key=len, reverse=True)]
    choices += [letters(p) + r"[^\W_]*" for p in sorted(prefixes, key=len, reverse=True)]
    return re.compile(r"(?<![^\W_])(?:" + "|".join(choices) + r")(?![^\W_])", re.IGNORECASE)


def _anchor(text: str, terms: tuple[Term, ...], words: int) -> int:
    """Where in `text` the snippet should be: the term occurrence (of the first 64) with
    the most different terms' words in the next `words` words or so; 0 when none occurs."""
    if not terms:
        return 0
    finder = _finder(
        frozenset(fold(w) for t in terms for w in t.words),
        frozenset(fold(t.words[-1]) for t in terms if t.prefix),
    )
    spans: list[tuple[int, str]] = []
    for m in finder.finditer(text):
        spans.append((m.start(), fold(m.group())))
        if len(spans) == 64:
            break
    if len(spans) < 2:
        return spans[0][0] if spans else 0
    reach = words * 7  # characters, about `words` words
    best, best_variety, j = 0, 0, 0
    inside: dict[str, int] = {}
    for i, (at, _) in enumerate(spans):  # a window from each occurrence, slid along
        while j < len(spans) and spans[j][0] < at + reach:
            inside[spans[j][1]] = inside.get(spans[j][1], 0) + 1
            j += 1
        if len(inside) > best_variety:
            best, best_variety = i, len(inside)
        word = spans[i][1]
        inside[word] -= 1
        if not inside[word]:
            del inside[word]
    return spans[best][0]


def snippet(text: str, terms: tuple[Term, ...], words: int = SNIPPET_WORDS) -> str:
    """About `words` words of `text` around the best place where the terms occur, the
    matched words marked «so» (a phrase's words only where they make the phrase; adjacent
    marked words share one mark); « and » already in the text become “ and ”. The start of
    the text when no term occurs in it. Only the text around that place is split into
    words, so a long article costs little more than a short one."""
    text = text.replace("«", "“").replace("»", "”")
    anchor = _anchor(text, terms, words)
    low, high = max(0, anchor - REGION), min(len(text), anchor + REGION)
    if low:
        low = text.rfind(" ", 0, low) + 1
    if high < len(text):
        space = text.find(" ", high)
        high = len(text) if space < 0 else space
    found = list(WORD.finditer(text, low, high))
    if not found:
        return " ".join(text.split())
    cut_before = low > 0 and WORD.search(text, 0, low) is not None
    cut_after = high < len(text) and WORD.search(text, high) is not None
    folded = [fold(m.group()) for m in found]
    marked = _marks(folded, terms)
    at = next((i for i, m in enumerate(found) if m.start() >= anchor), 0)
    start = max(0, min(at - words // 5, len(found) - words))
    end = min(len(found), start + words)
    pieces = ["… "] if start or cut_before else []
    position = found[start].start()
    open_mark = False
    for i in range(start, end):
        m = found[i]
        gap = re.sub(r"\s+", " ", text[position : m.start()])
        if open_mark and (not marked[i] or gap.strip(_JOINERS)):
            pieces.append("»")
            open_mark = False
        pieces.append(gap)
        if marked[i] and not open_mark:
            pieces.append("«")
            open_mark = True
        pieces.append(m.group())
        position = m.end()
    if open_mark:
        pieces.append("»")
    following = found[end].start() if end < len(found) else high
    pieces.append(re.sub(r"\s+", " ", text[position:following]).rstrip())
    if end < len(found) or cut_after:
        pieces.append(" …")
    return "".join(pieces).strip()


def _marks(folded: list[str], terms: tuple[Term, ...]) -> list[bool]:
    """Which words a term matches: a word anywhere, a phrase's words in sequence."""
    singles = {fold(t.words[0]) for t in terms if len(t.words) == 1 and not t.prefix}
    prefixes = tuple(fold(t.words[0]) for t in terms if len(t.words) == 1 and t.prefix)
    marked = [w in singles or (bool(prefixes) and w.startswith(prefixes)) for w in folded]
    for term in terms:
        if len(term.words) == 1:
            continue
        wanted = [fold(w) for w in term.words]
        n = len(wanted)
        for i in range(len(folded) - n + 1):
            if folded[i] != wanted[0]:
                continue
            last = folded[i + n - 1]
            if folded[i + 1 : i + n - 1] == wanted[1:-1] and (
                last.startswith(wanted[-1]) if term.prefix else last == wanted[-1]
            ):
                marked[i : i + n] = [True] * n
    return marked


def search(
    db: Db,
    text: str,
    since: datetime | None = None,
    speaker: str | None = None,
    limit: int = 50,
) -> list[SearchHit]:
    """Articles and statements matching `text`, best first (at most `limit`). With
    `speaker`, only that speaker's statements (case-insensitive; a surname alone matches
    too), newest first when the query has no words.

    Each kind ranks the newest RECENT rows that match (and pass the filters), so a word
    found in most of the history costs the same as a rare one."""
    query = parse(text)
    limit = max(1, min(int(limit), 1000))
    names: tuple[str, ...] = ()
    if speaker is not None:
        speaker = " ".join(speaker.replace("\x00", "").split())
        names = tuple(WORD.findall(speaker))[:MAX_TERMS]
        if not names:
            return []
    elif query.empty:
        return []
    first: int | None = None
    if since is not None:
        first = _first_article(db, since)
        if first is None:  # nothing fetched since then
            return []
    hits = _statements(db, query, since, speaker, names, limit, first)
    if speaker is None:
        hits += _articles(db, query, since, limit, first)
    hits.sort(key=lambda h: (-h.rank, -(h.published.timestamp() if h.published else 0)))
    return hits[:limit]


def _first_article(db: Db, since: datetime) -> int | None:
    """The first article that can have been published since `since`: a stored date is
    never more than AHEAD_TOLERANCE after the article was fetched (clock.plausible), and
    ids follow the fetching order (give or take seconds between concurrent writers: hence
    twice the slack)."""
    row = db.execute(
        "SELECT id FROM articles WHERE fetched_at >= ? ORDER BY fetched_at LIMIT 1",
        (to_iso(since - 2 * AHEAD_TOLERANCE),),
    ).fetchone()
    return None if row is None else int(row[0])


def _ranked(
    db: Db,
    table: str,
    alias: str,
    conditions: list[str],
    *,
    first: bool = False,
    ranked: bool = True,
    check: bool = False,
) -> str:
    """A query of `id, rank` for up to `:limit` rows of `table` matching `:q` and
    `conditions` (on `alias`): the best of the newest `:recent` matches, or (ranked=False)
    the newest. `first`: only rows from id `:first` on (the index skips the older ones).

    PostgreSQL: the newest `:recent` rows the index finds for `:loose` (tsquery_text), then
    (`check`: the query has phrases) those matching `:q`: GIN keeps no word positions, so
    only these rows' tsvectors are read for the phrases, not those of every candidate."""
    if is_postgres(db):
        bound = [f"{alias}.id >= :first"] if first else []
        where = " AND ".join([f"{alias}.search @@ loose", *bound, *conditions])
        candidates = (
            f"SELECT {alias}.id AS id, {alias}.search AS document FROM {table} {alias}, "
            f"to_tsquery('{SEARCH_CONFIG}', :loose) AS loose WHERE {where} "
            f"ORDER BY {alias}.id DESC LIMIT :recent"
        )
        rank = "ts_rank(c.document, q, 1)" if ranked else "0.0"
        return (
            f"SELECT c.id AS id, {rank} AS rank FROM ({candidates}) c, "
            f"to_tsquery('{SEARCH_CONFIG}', :q) AS q"
            + (" WHERE c.document @@ q" if check else "")
            + " ORDER BY rank DESC, c.id DESC LIMIT :limit"
        )
    else:
        fts = f"{table}_fts"
        join = f" JOIN {table} {alias} ON {alias}.id = {fts}.rowid" if conditions else ""
        bound = [f"{fts}.rowid >= :first"] if first else []
        where = " AND ".join([f"{fts} MATCH :q", *bound, *conditions])
        weights = "2.0, 1.0" if table == "articles" else "1.0, 1.0"
        score = f"-bm25({fts}, {weights})" if ranked else "0.0"
        matched = (
            f"SELECT {fts}.rowid AS id, {score} AS rank FROM {fts}{join} WHERE {where} "
            f"ORDER BY {fts}.rowid DESC LIMIT :recent"
        )
        rank = "rank"
    return f"SELECT id, {rank} AS rank FROM ({matched}) m ORDER BY rank DESC, id DESC LIMIT :limit"


def _articles(
    db: Db, query: Query, since: datetime | None, limit: int, first: int | None
) -> list[SearchHit]:
    params: dict[str, Any] = {"limit": limit, "recent": RECENT}
    if is_postgres(db):
        params.update(q=tsquery_text(query), loose=tsquery_text(query, loose=True))
    else:
        params["q"] = fts5_query(query)
    conditions = []
    if since is not None:
        conditions.append("coalesce(a.published, a.fetched_at) >= :since")
        params.update(first=first, since=to_iso(since))
    # not on PostgreSQL: offered an id range, its planner would rather read the tsvector of
    # every article in it than ask the search index (a day of articles: 100 ms against 5)
    bounded = since is not None and not is_postgres(db)
    ranked = _ranked(db, "articles", "a", conditions, first=bounded, check=exact(query))
    rows = search_rows(
        db,
        f"""SELECT a.id, a.url, a.title, a.published, a.sitename, a.text, h.rank
            FROM ({ranked}) h
            JOIN articles a ON a.id = h.id ORDER BY h.rank DESC, a.id DESC""",
        params,
    )
    return [
        SearchHit(
            kind="article",
            article_id=int(r[0]),
            url=str(r[1]),
            title=r[2],
            published=from_iso(r[3]),
            sitename=r[4],
            speaker=None,
            quote=None,
            snippet=snippet(r[5] or r[2] or "", query.terms),
            rank=float(r[6]),
        )
        for r in rows
    ]


def _like(name: str) -> str:
    return name.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _statements(
    db: Db,
    query: Query,
    since: datetime | None,
    speaker: str | None,
    names: tuple[str, ...],
    limit: int,
    first: int | None,
) -> list[SearchHit]:
    """Statements matching the query; with `speaker`, only theirs: the index finds the
    statements whose speaker has the name's words (`names`), then the name is compared."""
    params: dict[str, Any] = {"limit": limit, "recent": RECENT if not query.empty else limit}
    if is_postgres(db):
        params.update(q=tsquery_text(query, names), loose=tsquery_text(query, names, loose=True))
    else:
        params["q"] = fts5_query(query, names)
    conditions = []
    if since is not None:
        (first_statement,) = db.execute(
            "SELECT min(id) FROM statements WHERE article_id >= ?", (first,)
        ).fetchone()
        if first_statement is None:
            return []
        conditions.append("s.said_at >= :since")
        params.update(first=int(first_statement), since=to_iso(since))
    if speaker is not None:
        # ILIKE folds case beyond ASCII; SQLite's LIKE folds ASCII letters only
        like = "ILIKE" if is_postgres(db) else "LIKE"
        conditions.append(
            f"(s.speaker {like} :speaker ESCAPE '!' OR s.speaker {like} :surname ESCAPE '!')"
        )
        params.update(speaker=_like(speaker), surname="% " + _like(speaker))
    ranked = _ranked(
        db,
        "statements",
        "s",
        conditions,
        first=since is not None,
        ranked=not query.empty,
        check=exact(query),
    )
    rows = search_rows(
        db,
        f"""SELECT s.id, s.article_id, a.url, a.title, a.published, a.sitename, s.speaker,
                   s.quote, h.rank
            FROM ({ranked}) h
            JOIN statements s ON s.id = h.id JOIN articles a ON a.id = s.article_id
            ORDER BY h.rank DESC, s.id DESC""",
        params,
    )
    return [
        SearchHit(
            kind="statement",
            article_id=int(r[1]),
            url=str(r[2]),
            title=r[3],
            published=from_iso(r[4]),
            sitename=r[5],
            speaker=r[6],
            quote=r[7],
            snippet=snippet(r[7], query.terms),
            rank=float(r[8]),
            statement_id=int(r[0]),
        )
        for r in rows
    ]
