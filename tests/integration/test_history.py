"""The history on real databases (SQLite and PostgreSQL): full-text search over the seed
articles and their statements as the pipeline stored them, the filters, hostile queries,
retention and compaction (also from the daemon's job), migrations that index old rows."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from monitor.alerts import ConsoleSender
from monitor.config import Config, is_server_url, load_config
from monitor.runtime import run_once
from monitor.runtime.daemon import Daemon
from monitor.storage import Store, open_database, open_store
from monitor.storage.postgres.connection import open_server_database
from monitor.storage.postgres.schema import MIGRATIONS
from monitor.storage.sql import history
from monitor.storage.sql.search import search
from tests.conftest import DATA, runtime_for, stored_db, write_config
from tests.servers import NewsSite

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
BLINKEN_QUOTE = (
    "we’ll be taking concrete steps to bring Ukraine closer to NATO and ensure that there is "
    "a bridge to membership"
)


async def _seeded(tmp_path: Path, site: NewsSite, **later: int) -> Config:
    """The five seed pages polled, analysed and alerted at T0 (`first=N`: only the first N
    then, the others `days` days later)."""
    first, days = later.get("first", 5), later.get("days", 0)
    site.feeds["news"].items = sorted(site.pages)[:first]
    config = load_config(write_config(tmp_path, [{"url": site.feed_url("news")}]))
    await run_once(config, ConsoleSender(io.StringIO()), now=lambda: T0)
    if first < 5:
        site.feeds["news"].items = sorted(site.pages)
        await run_once(config, ConsoleSender(io.StringIO()), now=lambda: T0 + timedelta(days=days))
    return config


@pytest.fixture
async def store(each_backend: str, tmp_path: Path, news_site: NewsSite) -> AsyncIterator[Store]:
    config = await _seeded(tmp_path, news_site)
    opened = await open_store(config.database)
    yield opened
    await opened.close()


async def test_search_finds_the_blinken_statement_and_its_article(store: Store) -> None:
    hits = await store.search('"bridge to membership"')
    kinds = {(h.kind, h.speaker) for h in hits}
    assert kinds == {("statement", "Antony Blinken"), ("article", None)}
    statement = next(h for h in hits if h.kind == "statement")
    assert statement.quote is not None and BLINKEN_QUOTE in statement.quote
    assert "«bridge to membership»" in statement.snippet
    assert statement.statement_id is not None and "/004_" in statement.url
    assert statement.published is not None and statement.published.date().isoformat() == (
        "2024-06-03"
    )
    article = next(h for h in hits if h.kind == "article")
    assert article.article_id == statement.article_id
    assert "«bridge to membership»" in article.snippet
    # the same words in another order, or apart, are not the phrase
    assert not [h for h in await store.search('"membership to bridge"')]
    assert {h.kind for h in await store.search("membership bridge")} == {"article", "statement"}


async def test_search_finds_articles_by_words_of_their_text_only(store: Store) -> None:
    (hit,) = await store.search("telethon")  # in an article's text, in no quote
    assert hit.kind == "article" and hit.sitename == "Kyiv Wire"
    assert "«telethon»" in hit.snippet and hit.quote is None
    assert [h.article_id for h in await store.search("TELETHÓN")] == [hit.article_id]
    assert await store.search("telethon -broadcast") == []  # excluded: the same paragraph's
    assert [h.article_id for h in await store.search("teleth*")] == [hit.article_id]
    either = await store.search("telethon OR membership", limit=100)
    assert hit.article_id in {h.article_id for h in either} and len(either) > 5


async def test_best_hits_come_first_and_the_limit_holds(store: Store) -> None:
    hits = await store.search("Ukraine NATO", limit=50)
    assert len(hits) > 10
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)
    assert len(await store.search("Ukraine NATO", limit=3)) == 3


async def test_since_keeps_what_was_published_since(store: Store) -> None:
    everything = await store.search("Ukraine", limit=100)
    recent = await store.search("Ukraine", since=datetime(2024, 7, 1, tzinfo=UTC), limit=100)
    assert recent and len(recent) < len(everything)
    assert all(h.published and h.published >= datetime(2024, 7, 1, tzinfo=UTC) for h in recent)
    assert {h.sitename for h in recent} == {"Kyiv Wire"}  # the October 2024 article
    assert await store.search("Ukraine", since=T0 + timedelta(days=3)) == []  # nothing fetched


async def test_speaker_filter_takes_a_full_name_or_a_surname_in_any_case(store: Store) -> None:
    by_surname = await store.search("Ukraine", speaker="blinken", limit=100)
    assert by_surname and {h.speaker for h in by_surname} == {"Antony Blinken"}
    assert {h.kind for h in by_surname} == {"statement"}
    for name in ("Antony Blinken", "BLINKEN", "  antony   blinken "):
        found = await store.search("Ukraine", speaker=name, limit=100)
        assert {h.statement_id for h in found} == {h.statement_id for h in by_surname}, name
    for name in ("Tony Blinken", "Blink", "Antony"):
        assert await store.search("Ukraine", speaker=name) == [], name
    kirby = await store.search("war", speaker="Kirby")
    assert kirby and {h.speaker for h in kirby} == {"John Kirby"}
    # no words: the speaker's statements, newest first
    everything = await store.search("", speaker="Kirby", limit=100)
    assert len(everything) > len(kirby)
    dates = [h.published or T0 for h in everything]
    assert dates == sorted(dates, reverse=True)


HOSTILE = [
    '"',
    '"bridge to',
    'bridge to"',
    '""""',
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "*",
    "**",
    "-",
    "--",
    "-*",
    "(",
    ")",
    "(nato",
    "nato)",
    "title:nato",
    "speaker:",
    "text : nato",
    "NEAR(bridge membership)",
    "^nato",
    "nato^",
    "'",
    "''",
    "nato'",
    "\\",
    "\\'",
    "%",
    "_",
    "nato:*",
    "nato:A",
    "!nato",
    "nato & ukraine",
    "nato | ukraine",
    "nato <-> ukraine",
    "<->",
    "{speaker}: kirby",
    "\x00",
    "nato\x00ukraine",
    "🇺🇦 НАТО",
    "Київ",
    "' OR 1=1 --",
    "'; DROP TABLE articles; --",
    "x" * 10_000,
    " ".join(["nato"] * 500),
    " OR ".join(["nato"] * 100),
    "-nato",
    "NOT nato",
    "\u202e\u200b",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
async def test_any_input_is_searched_or_finds_nothing_never_an_error(
    store: Store, query: str
) -> None:
    hits = await store.search(query)
    assert isinstance(hits, list)
    await store.search(query, speaker=query, since=T0 - timedelta(days=365 * 10))
    await store.search("nato", speaker=query)


async def test_hostile_limits_and_the_nul_character(store: Store) -> None:
    assert len(await store.search("nato", limit=0)) == 1  # at least one
    assert len(await store.search("nato", limit=-5)) == 1
    assert len(await store.search("nato", limit=10**9)) > 1
    assert await store.search("nato", speaker="\x00") == []
    assert await store.search("nato", speaker="%") == []  # not a wildcard
    assert await store.search("nato", speaker="_irby") == []


async def test_the_cleanings_dropped_lines_are_stored(
    each_backend: str, tmp_path: Path, news_site: NewsSite
) -> None:
    """What `monitor extract --explain` shows, for the web page: [text, pass, pattern]."""
    await _seeded(tmp_path, news_site)
    db = stored_db(tmp_path)
    rows = db.execute("SELECT url, dropped FROM articles").fetchall()
    assert all(isinstance(json.loads(dropped), list) for _, dropped in rows)
    (dropped,) = [json.loads(d) for url, d in rows if "004_" in url]
    assert ["Published 3 June 2024", "patterns", "dateline"] in dropped
    assert ["TNT is truly independent!", "patterns", "donation-independent"] in dropped


async def test_retention_prunes_old_bodies_only_and_keeps_the_history(
    each_backend: str, tmp_path: Path, news_site: NewsSite
) -> None:
    """Three articles fetched at T0, two 60 days later; at T0 + 100 days with 90 days of
    texts kept, the first three lose their text (and its search entries, and their dropped
    lines); statements, alerts, entries and links stay."""
    config = await _seeded(tmp_path, news_site, first=3, days=60)
    db = stored_db(tmp_path)

    def counts() -> dict[str, int]:
        return {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("articles", "statements", "stories", "outbox", "entries", "matches")
        }

    before = counts()
    titles = db.execute("SELECT id, title, url, url_key FROM articles ORDER BY id").fetchall()
    store = await open_store(config.database)
    try:
        assert await store.search("telethon")  # article 001, fetched at T0
        assert await store.prune(T0 + timedelta(days=100), timedelta(days=90)) >= 3
        assert await store.prune(T0 + timedelta(days=100), timedelta(days=90)) == 0  # done once
        rows = db.execute(
            "SELECT fetched_at, text, dropped, text_pruned_at FROM articles ORDER BY id"
        ).fetchall()
        for fetched_at, text, dropped, pruned_at in rows:
            if fetched_at < (T0 + timedelta(days=10)).isoformat():
                assert (text, dropped) == ("", None) and pruned_at
            else:
                assert text and dropped is not None and pruned_at is None
        assert counts() == before
        assert db.execute(
            "SELECT id, title, url, url_key FROM articles ORDER BY id"
        ).fetchall() == (titles)
        assert await store.search("telethon") == []  # its text is gone from the index
        # ...its statements are not, and the articles are still found by their titles
        kirby = await store.search('"First they gotta win this war"')  # 002's text: pruned
        assert {(h.kind, h.speaker) for h in kirby} == {("statement", "John Kirby")}
        titled = await store.search('"Kirby: Ukraine must first win the war to join NATO"')
        assert [(h.kind, h.snippet) for h in titled] == [
            ("article", "«Kirby»: «Ukraine must first win the war to join NATO»")
        ]
        assert (await store.compact()).startswith(("optimized", "vacuumed", "analyzed"))
        assert await store.search('"bridge to membership"')  # 004 came at T0 + 60 days
    finally:
        await store.close()


def test_vacuum_runs_when_a_tenth_of_the_file_is_free(tmp_path: Path) -> None:
    db = open_database(tmp_path / "m.db")
    db.conn.executemany(
        "INSERT INTO problems (at, kind, subject, detail) VALUES ('t', 'k', 's', ?)",
        [("x" * 2000,) for _ in range(2000)],
    )
    db.execute("DELETE FROM problems")
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    done = history.compact(db)
    assert done.startswith("vacuumed")
    (after,) = db.execute("PRAGMA page_count").fetchone()
    assert after < pages / 4 and db.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert history.compact(db).startswith("optimized")  # nothing left to give back
    assert (tmp_path / "m.db-wal").stat().st_size == 0  # the log VACUUM filled is emptied


async def test_the_daemons_retention_job_prunes_and_compacts_once_a_day(
    each_backend: str, tmp_path: Path, news_site: NewsSite
) -> None:
    config = await _seeded(tmp_path, news_site)
    config = config.model_copy(
        update={
            "retention": config.retention.model_copy(update={"article_text": timedelta(days=30)})
        }
    )
    clock = {"now": T0 + timedelta(days=20)}
    async with runtime_for(config, now=lambda: clock["now"]) as rt:
        daemon = Daemon(rt)
        compacted: list[datetime] = []
        compact = rt.store.compact

        async def counting() -> str:
            compacted.append(clock["now"])
            return await compact()

        rt.store.compact = counting  # type: ignore[method-assign]
        await daemon._retention()  # at start: nothing old enough yet, compacted
        db = stored_db(tmp_path)
        assert db.execute("SELECT count(*) FROM articles WHERE text = ''").fetchone()[0] == 0
        clock["now"] += timedelta(hours=6)
        await daemon._retention()  # not a day since the last compaction
        clock["now"] = T0 + timedelta(days=31)
        await daemon._retention()  # the texts are 31 days old: pruned; a day since: compacted
        assert db.execute("SELECT count(*) FROM articles WHERE text = ''").fetchone()[0] == 5
        assert compacted == [T0 + timedelta(days=20), T0 + timedelta(days=31)]


async def test_retention_null_keeps_every_text(tmp_path: Path, news_site: NewsSite) -> None:
    config = await _seeded(tmp_path, news_site)
    path = write_config(tmp_path, [{"url": news_site.feed_url("news")}])
    path.write_text(path.read_text() + "retention:\n  article_text: null\n", encoding="utf-8")
    kept = load_config(path)
    assert kept.retention.article_text is None and config.retention.article_text == timedelta(
        days=90
    )
    async with runtime_for(kept, now=lambda: T0 + timedelta(days=3650)) as rt:
        await Daemon(rt)._retention()
    db = stored_db(tmp_path)
    assert db.execute("SELECT count(*) FROM articles WHERE text = ''").fetchone()[0] == 0


def _old_rows(run: Callable[[str], object]) -> None:
    """A feed, an entry, an article and a statement of the schema before search."""
    run("INSERT INTO feeds (id, url, interval_seconds) VALUES (1, 'https://a.example/f', 300)")
    run(
        "INSERT INTO entries (id, feed_id, key, first_seen_at, status, attempts) "
        "VALUES (1, 1, 'k', '2026-01-01T00:00:00+00:00', 'done', 0)"
    )
    run(
        "INSERT INTO articles (id, entry_id, url, url_key, title, text, fetched_at) VALUES "
        "(1, 1, 'https://a.example/1', 'https://a.example/1', 'Ministers meet', "
        "'The ministers discussed the harbour convoy.', '2026-01-01T00:00:00+00:00')"
    )
    run(
        "INSERT INTO statements (id, article_id, speaker, quote, kind, sentence, background, "
        "said_at) VALUES (1, 1, 'Ana Ministra', 'The grain corridor stays open', 'direct', "
        "'s', 0, '2026-01-01T00:00:00+00:00')"
    )


def test_a_version_4_sqlite_database_is_indexed_for_search(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((DATA / "schema_v4.sql").read_text(encoding="utf-8"))
    _old_rows(conn.execute)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    db = open_database(path)
    assert {(h.kind, h.article_id) for h in search(db, "harbour convoy")} == {("article", 1)}
    (hit,) = search(db, '"grain corridor"', speaker="ministra")
    assert hit.kind == "statement" and hit.speaker == "Ana Ministra"
    assert db.execute("SELECT dropped, text_pruned_at FROM articles").fetchone() == (None, None)
    db.execute("UPDATE articles SET text = 'Nothing left' WHERE id = 1")  # triggers keep step
    assert search(db, "harbour") == [] and search(db, "nothing left")


def test_a_version_2_postgresql_database_is_indexed_for_search(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(MIGRATIONS[1].encode())
        conn.execute(MIGRATIONS[2].encode())
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1), (2)")
        _old_rows(conn.execute)
    db = open_server_database(pg_url)
    assert {(h.kind, h.article_id) for h in search(db, "harbour convoy")} == {("article", 1)}
    (hit,) = search(db, '"grain corridor"', speaker="ministra")
    assert hit.kind == "statement" and hit.speaker == "Ana Ministra"
    assert search(db, "HÁRBOUR")  # accents folded (the unaccent dictionary)
    db.conn.close()


def test_export_pages_through_everything_in_id_order(database: str) -> None:
    db = (
        open_server_database(database) if is_server_url(database) else open_database(Path(database))
    )
    _old_rows(db.execute)
    records = history.export_rows(db, "article", T0 - timedelta(days=1), 0, 10)
    assert [r["id"] for r in records] == [1] and list(records[0]) == list(
        history.EXPORT_COLUMNS["article"]
    )
    assert history.export_rows(db, "article", T0 - timedelta(days=1), 1, 10) == []
    assert history.export_rows(db, "article", T0 + timedelta(days=1), 0, 10) == []
    (statement,) = history.export_rows(db, "statement", T0 - timedelta(days=1), 0, 10)
    assert list(statement) == list(history.EXPORT_COLUMNS["statement"])
    assert statement["background"] is False
    assert history.export_rows(db, "alert", T0 - timedelta(days=1), 0, 10) == []
    db.conn.close()
