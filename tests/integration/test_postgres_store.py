"""What only the PostgreSQL backend has to show, on a real server: replicas writing two
reports of one statement at the same moment still make one story (one top-level alert, one
reply); `monitor db copy` moves an SQLite installation with nothing lost; the database
password never appears in an error; the schema is versioned and `monitor db upgrade` is
idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from monitor.alerts.plan import plan_alert
from monitor.config import FeedConfig
from monitor.errors import StorageError
from monitor.records import Analysis, Article, Delivered, FeedEntry, Hit, Match, Statement
from monitor.statements.fingerprint import content_words
from monitor.statements.stories import choose_story
from monitor.storage import SqliteStore, open_database
from monitor.storage.base import WritePolicy
from monitor.storage.postgres.connection import PgConnections, open_server_database
from monitor.storage.postgres.schema import MIGRATIONS, VERSION
from monitor.storage.sql import entries, feeds, outbox, stories
from monitor.storage.sql.dialect import Db
from monitor.storage.sql.search import search
from monitor.storage.sql.store import PostgresStore

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
LEASE = timedelta(minutes=5)
POLICY = WritePolicy(
    window=timedelta(days=14),
    default_channel="#news",
    choose_story=choose_story,
    plan_alert=plan_alert,
)


def _analysis(url: str, outlet: str, quote: str) -> Analysis:
    sentence = f'"{quote}," the minister said on Monday.'
    statement = Statement(
        speaker="Ana Ministra",
        role="minister",
        quote=quote,
        kind="direct",
        sentence=sentence,
        start=0,
        end=len(sentence),
        words=content_words(quote),
    )
    article = Article(
        source=url,
        title=f"{outlet}: minister speaks on the alliance",
        paragraphs=(sentence,),
        published=NOW,
        author=None,
        sitename=outlet,
        language="en",
    )
    match = Match(
        rule="Alliance",
        channel=None,
        hits=(Hit("text", "alliance"),),
        sentence=sentence,
        statement=statement,
    )
    return Analysis(article=article, statements=(statement,), matches=(match,))


_WORDS = (
    "harbour grain convoy winter border tanks pilots training budget ammunition drones "
    "refugees pipeline sanctions ceasefire elections reactors satellites bridges railways "
    "hospitals schools tariffs wheat fertiliser vaccines cables frigates bunkers radars "
    "mines orphans bonds loans courts envoys treaties corridors ports airfields trucks"
).split()
# Eight statements of one speaker with no content word in common: eight stories.
QUOTES = [
    "We will send " + ", ".join(_WORDS[i * 5 : i * 5 + 5]) + " before the summit" for i in range(8)
]


def _analysed_pairs(url: str) -> list[tuple[int, int]]:
    """Per quote, two outlets' reports of it stored and analysed: (entry id, entry id)."""
    conns = PgConnections(url)
    db = conns.db()
    feeds.sync_feeds(db, [FeedConfig(url=f"https://{o}.example/feed") for o in ("one", "two")], NOW)
    feed_ids = [r[0] for r in db.execute("SELECT id FROM feeds ORDER BY id").fetchall()]
    for feed_id, outlet in zip(feed_ids, ("one", "two"), strict=True):
        found = [
            FeedEntry(f"{outlet}-{i}", f"https://{outlet}.example/{i}", None, None)
            for i in range(len(QUOTES))
        ]
        entries.add_entries(db, feed_id, found, NOW)
    for entry in entries.claim_entries(db, "p", NOW, LEASE, 100):
        outlet = "one" if "one.example" in (entry.url or "") else "two"
        quote = QUOTES[int((entry.url or "").rsplit("/", 1)[1])]
        conns.write(
            entries.save_analysis, entry, _analysis(entry.url or "", outlet, quote), NOW, "p"
        )
    rows = db.execute("SELECT id, url FROM entries ORDER BY id").fetchall()
    conns.close()
    by_url = {url: entry_id for entry_id, url in rows}
    return [
        (by_url[f"https://one.example/{i}"], by_url[f"https://two.example/{i}"])
        for i in range(len(QUOTES))
    ]


def _write_at_once(
    conns: PgConnections, entry_id: int, barrier: threading.Barrier, errors: list[BaseException]
) -> None:
    barrier.wait(timeout=10)
    try:
        conns.write(stories.write_alerts, entry_id, NOW, POLICY)
    except BaseException as e:
        errors.append(e)


def test_two_replicas_writing_one_statement_at_once_make_one_story(pg_url: str) -> None:
    """Each pair of reports is written by two connections (two replicas' writers) released
    together by a barrier: without serializable writes both would open a story."""
    pairs = _analysed_pairs(pg_url)
    replicas = [PgConnections(pg_url), PgConnections(pg_url)]
    errors: list[BaseException] = []
    for pair in pairs:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=_write_at_once, args=(conns, entry_id, barrier, errors))
            for conns, entry_id in zip(replicas, pair, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
    db = open_server_database(pg_url)
    (n_stories,) = db.execute("SELECT count(*) FROM stories").fetchone()
    kinds = db.execute(
        "SELECT parent_id IS NULL, count(*) FROM outbox GROUP BY 1 ORDER BY 1"
    ).fetchall()
    for conns in replicas:
        conns.close()
    assert n_stories == len(QUOTES)
    assert kinds == [(False, len(QUOTES)), (True, len(QUOTES))]  # one alert + one reply each


def _sqlite_installation(path: Path) -> None:
    """An SQLite database with feeds, entries, stories, a sent alert and a pending one."""
    store = SqliteStore(path)
    db = store.sync_db()
    feeds.sync_feeds(db, [FeedConfig(url="https://one.example/feed")], NOW)
    found = [FeedEntry(f"k{i}", f"https://one.example/{i}", None, None) for i in range(3)]
    entries.add_entries(db, 1, found, NOW)
    claimed = entries.claim_entries(db, "p", NOW, LEASE, 10)
    for entry, quote in zip(claimed, QUOTES, strict=False):
        analysis = _analysis(entry.url or "", "one", quote)
        store._sqlite.write(entries.save_analysis, entry, analysis, NOW, "p")
        store._sqlite.write(stories.write_alerts, entry.id, NOW, POLICY)
    first = db.execute("SELECT min(id) FROM outbox").fetchone()[0]
    store._sqlite.write(outbox.mark_sent, first, Delivered(channel_id="C1", ts="1.0"), NOW)
    db.conn.close()


def _dump(db: Db, table: str, columns: list[str]) -> list[tuple[object, ...]]:
    quoted = ", ".join(f'"{c}"' for c in columns)
    return [tuple(r) for r in db.execute(f"SELECT {quoted} FROM {table} ORDER BY 1").fetchall()]


def test_db_copy_moves_an_sqlite_installation_with_nothing_lost(
    tmp_path: Path, pg_url: str
) -> None:
    source = tmp_path / "monitor.db"
    _sqlite_installation(source)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "db", "copy", "--from", str(source), "--to", pg_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    sqlite, pg = open_database(source), open_server_database(pg_url)
    for table in ("feeds", "entries", "articles", "stories", "statements", "matches", "outbox"):
        # every column SQLite has (PostgreSQL adds the generated search columns)
        columns = [r[1] for r in sqlite.execute(f"PRAGMA table_info({table})")]
        assert _dump(pg, table, columns) == _dump(sqlite, table, columns), table
    statuses = sorted(r[0] for r in pg.execute("SELECT status FROM outbox").fetchall())
    assert statuses == ["pending", "pending", "sent"]
    # the copied rows are searchable (PostgreSQL indexes them as they arrive)
    assert {(h.kind, h.article_id) for h in search(pg, "harbour grain")} == {
        ("article", 1),
        ("statement", 1),
    }
    # new rows get ids after the copied ones, and the copy refuses a used database
    (new_id,) = pg.execute(
        "INSERT INTO problems (at, kind, subject, detail) VALUES ('x', 'k', 's', 'd') RETURNING id"
    ).fetchone()
    (feed_id,) = pg.execute(
        "INSERT INTO feeds (url, interval_seconds) VALUES ('https://n.example/f', 60) RETURNING id"
    ).fetchone()
    assert new_id >= 1 and feed_id == 2
    again = subprocess.run(
        [sys.executable, "-m", "monitor", "db", "copy", "--from", str(source), "--to", pg_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 1 and "already holds" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "Traceback" not in again.stderr


def test_the_password_never_appears_in_errors(pg_url: str) -> None:
    secret = "s3cret-Pa55word"
    wrong_port = f"postgresql://monitor:{secret}@127.0.0.1:1/monitor"
    with pytest.raises(StorageError) as refused:
        PostgresStore(wrong_port)
    assert secret not in str(refused.value)
    assert "postgresql://monitor@127.0.0.1:1/monitor" in str(refused.value)
    assert "cannot connect" in str(refused.value)
    env = {**os.environ, "MONITOR_DATABASE_URL": wrong_port}
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "db", "upgrade", "--config", "/nonexistent.yaml"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1 and secret not in result.stderr + result.stdout


def test_schema_is_versioned_and_upgrade_is_idempotent(pg_url: str, tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(f"database: {pg_url}\n", encoding="utf-8")
    runs = [
        subprocess.run(
            [sys.executable, "-m", "monitor", "db", "upgrade", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if k != "MONITOR_DATABASE_URL"},
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert f"schema at version {VERSION}" in runs[0].stdout
    assert "already at version" in runs[1].stdout
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (VERSION,)
        conn.execute("INSERT INTO schema_version VALUES (%s)", (VERSION + 1,))
    with pytest.raises(StorageError, match="newer than this monitor"):
        open_server_database(pg_url)


def _claim_at_once(
    conns: PgConnections, owner: str, barrier: threading.Barrier, got: dict[str, list[str]]
) -> None:
    barrier.wait(timeout=10)
    got[owner] = conns.write(outbox.claim_channels, owner, NOW, LEASE)


def test_one_replica_at_a_time_holds_a_channel(pg_url: str) -> None:
    """Two replicas' deliverers claim the same channel at the same moment, again and again:
    each time exactly one gets it, so a channel's alerts stay in order and paced."""
    db = open_server_database(pg_url)
    db.execute(
        "INSERT INTO outbox (kind, channel, status, held, attempts, uncertain, created_at) "
        "VALUES ('alert', '#c', 'pending', 0, 0, 0, ?)",
        ("2026-03-01T12:00:00+00:00",),
    )
    replicas = {"a": PgConnections(pg_url), "b": PgConnections(pg_url)}
    for _ in range(20):
        barrier = threading.Barrier(2)
        got: dict[str, list[str]] = {}
        threads = [
            threading.Thread(target=_claim_at_once, args=(conns, owner, barrier, got))
            for owner, conns in replicas.items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        holders = [owner for owner, channels in got.items() if channels == ["#c"]]
        assert len(holders) == 1, got
        replicas[holders[0]].write(outbox.release_channel, "#c", holders[0])
    for conns in replicas.values():
        conns.close()
    db.conn.close()


def test_a_version_1_database_migrates_keeping_its_rows(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(MIGRATIONS[1].encode())
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute("INSERT INTO feeds (url, interval_seconds) VALUES ('https://a.example/f', 60)")
    db = open_server_database(pg_url)
    assert db.execute("SELECT max(version) FROM schema_version").fetchone() == (VERSION,)
    assert "writer_locks" in db.table_names()
    assert db.execute("SELECT url FROM feeds").fetchall() == [("https://a.example/f",)]
    db.conn.close()
