"""The stores on real databases: schema, migrations, claims with leases, quarantine.

Tests taking `db` run on both backends (an SQLite file and a PostgreSQL database); the
others are about one backend's files or server."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from monitor.config import FeedConfig, is_server_url
from monitor.errors import StorageError
from monitor.records import FeedEntry
from monitor.storage import VERSION, open_database
from monitor.storage.postgres.connection import open_server_database
from monitor.storage.sql import entries as entry_table
from monitor.storage.sql import feeds as feed_table
from monitor.storage.sql import outbox as outbox_table
from monitor.storage.sql.dialect import Db
from monitor.storage.sqlite.connection import Connections
from tests.conftest import DATA

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture
def db(database: str) -> Iterator[Db]:
    """The current schema on the backend under test."""
    opened: Db = (
        open_server_database(database) if is_server_url(database) else open_database(Path(database))
    )
    yield opened
    opened.conn.close()


def _db(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "m.db")


def _feed(db: Db, url: str = "https://a.example/f") -> int:
    feed_table.sync_feeds(db, [FeedConfig(url=url, interval="10m")], NOW)
    (row,) = db.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchall()
    return int(row[0])


def test_new_database_is_at_current_version_in_wal_mode(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {"feeds", "entries", "articles", "matches", "outbox", "channels", "replicas"}
    assert tables <= set(db.table_names())


def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer than this monitor"):
        open_database(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"this is not a database file at all" * 100, "not a SQLite database")],
)
def test_garbage_file_is_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "m.db"
    path.write_bytes(content)
    with pytest.raises(StorageError, match=message) as error:
        open_database(path)
    assert str(path) in str(error.value)


def test_database_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        open_database(tmp_path / "nowhere" / "m.db")


def test_a_feed_is_claimed_by_one_process_until_its_lease_ends(db: Db) -> None:
    _feed(db)
    assert len(feed_table.claim_due_feeds(db, "a", NOW, LEASE, 10)) == 1
    assert feed_table.claim_due_feeds(db, "b", NOW, LEASE, 10) == []  # held by a
    later = NOW + LEASE + timedelta(seconds=1)
    (taken,) = feed_table.claim_due_feeds(db, "b", later, LEASE, 10)  # a died: b takes over
    assert taken.url == "https://a.example/f"


def test_a_polled_feed_is_due_again_at_its_next_poll(db: Db) -> None:
    feed_id = _feed(db)
    feed_table.claim_due_feeds(db, "a", NOW, LEASE, 10)
    feed_table.record_success(
        db,
        feed_id,
        [],
        NOW,
        NOW + timedelta(minutes=10),
        etag=None,
        last_modified=None,
        title=None,
    )
    assert feed_table.claim_due_feeds(db, "a", NOW + timedelta(minutes=9), LEASE, 10) == []
    assert len(feed_table.claim_due_feeds(db, "a", NOW + timedelta(minutes=10), LEASE, 10)) == 1


def test_feeds_removed_from_config_are_disabled(db: Db) -> None:
    feed_table.sync_feeds(db, [FeedConfig(url="https://a.example/f")], NOW)
    feed_table.sync_feeds(db, [FeedConfig(url="https://b.example/f")], NOW)
    assert [f.url for f in feed_table.enabled_feeds(db)] == ["https://b.example/f"]


def test_entries_are_added_once_and_the_same_link_in_two_feeds_is_one_entry(db: Db) -> None:
    one, two = _feed(db, "https://a.example/f"), _feed(db, "https://b.example/f")
    entries = [
        FeedEntry(key="k1", url="https://a.example/1?utm_source=x", title="t", published=None)
    ]
    assert entry_table.add_entries(db, one, entries, NOW) == 1
    assert entry_table.add_entries(db, one, entries, NOW) == 0
    other = [FeedEntry(key="other-guid", url="https://a.example/1", title="t", published=None)]
    assert entry_table.add_entries(db, two, other, NOW) == 1
    claimed = entry_table.claim_entries(db, "a", NOW, LEASE, 10)
    assert [e.feed_id for e in claimed] == [one]  # the second feed's copy is not processed
    (note,) = db.execute("SELECT last_error FROM entries WHERE feed_id = ?", (two,)).fetchone()
    assert note.startswith("same article as entry")


def test_entry_claims_split_work_and_expire(db: Db) -> None:
    feed_id = _feed(db)
    found = [FeedEntry(f"k{i}", f"https://a.example/{i}", None, None) for i in range(5)]
    entry_table.add_entries(db, feed_id, found, NOW)
    first = entry_table.claim_entries(db, "a", NOW, LEASE, 3)
    second = entry_table.claim_entries(db, "b", NOW, LEASE, 3)
    assert len(first) == 3 and len(second) == 2
    assert not {e.id for e in first} & {e.id for e in second}
    assert entry_table.claim_entries(db, "c", NOW, LEASE, 10) == []
    retaken = entry_table.claim_entries(db, "c", NOW + LEASE + timedelta(seconds=1), LEASE, 10)
    assert len(retaken) == 5


def test_entry_failures_back_off_then_quarantine_and_retry_requeues(db: Db) -> None:
    feed_id = _feed(db)
    entry_table.add_entries(db, feed_id, [FeedEntry("k", "https://a.example/1", None, None)], NOW)
    now = NOW
    for attempt in range(1, 5):
        (entry,) = entry_table.claim_entries(db, "a", now, LEASE, 10)
        assert not entry_table.record_failure(db, entry.id, "HTTP 503", now, max_attempts=5)
        backoff = entry_table.RETRY_BASE * 2 ** (attempt - 1)
        assert (
            entry_table.claim_entries(db, "a", now + backoff - timedelta(seconds=1), LEASE, 10)
            == []
        )
        now += backoff
    (entry,) = entry_table.claim_entries(db, "a", now, LEASE, 10)
    assert entry.attempts == 4
    assert entry_table.record_failure(db, entry.id, "HTTP 503", now, max_attempts=5)
    assert entry_table.claim_entries(db, "a", now + timedelta(days=1), LEASE, 10) == []
    assert [q["id"] for q in entry_table.quarantined_entries(db)] == [entry.id]
    assert entry_table.requeue_entries(db, None) == 1
    assert len(entry_table.claim_entries(db, "a", now + timedelta(days=1), LEASE, 10)) == 1


def test_busy_database_is_waited_for_not_failed(tmp_path: Path) -> None:
    """Another process holding the write lock briefly: the write waits and succeeds."""
    path = tmp_path / "m.db"
    connections = Connections(path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    import threading

    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    connections.write(
        lambda db: db.execute(
            "INSERT INTO problems (at, kind, subject, detail) VALUES ('x', 'k', 's', 'd')"
        )
    )
    release.join()
    assert connections.read(lambda db: db.execute("SELECT count(*) FROM problems").fetchone()[0])
    connections.close()
    other.close()


def test_a_deleted_database_file_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    connections = Connections(path)
    connections.check_identity()
    path.unlink()
    with pytest.raises(StorageError, match="deleted while monitor was running"):
        connections.check_identity()
    connections.close()


def _columns(db: sqlite_utils.Database) -> dict[str, set[str]]:
    return {t.name: {c.name for c in t.columns} for t in db.tables}


def _unique_indexes(db: sqlite_utils.Database) -> set[tuple[str, tuple[str, ...]]]:
    found = set()
    for table in db.tables:
        for index in table.indexes:
            if index.unique:
                found.add((table.name, tuple(index.columns)))
    return found


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_old_databases_migrate_to_the_current_schema_keeping_their_rows(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((DATA / f"schema_v{version}.sql").read_text(encoding="utf-8"))
    conn.execute(
        "INSERT INTO feeds (url, interval_seconds, next_poll_at) "
        "VALUES ('https://a.example/f', 300, '2026-01-01T00:00:00+00:00')"
    )
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()

    db = open_database(path)
    fresh = open_database(tmp_path / "fresh.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert _columns(db) == _columns(fresh)
    assert _unique_indexes(fresh) <= _unique_indexes(db)
    assert [f.url for f in feed_table.enabled_feeds(db)] == ["https://a.example/f"]


def test_a_pending_version_2_alert_is_still_sent_as_rendered_then(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((DATA / "schema_v2.sql").read_text(encoding="utf-8"))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "old alert"}}]
    conn.executescript(
        """INSERT INTO feeds (id, url, interval_seconds) VALUES (1, 'https://a.example/f', 300);
           INSERT INTO entries (id, feed_id, key, first_seen_at, status, canonical_url)
               VALUES (1, 1, 'k', '2026-01-01T00:00:00+00:00', 'done', 'https://a.example/1');
           INSERT INTO articles (id, entry_id, url, text, fetched_at)
               VALUES (1, 1, 'https://a.example/1', 'text', '2026-01-01T00:00:00+00:00');
           INSERT INTO matches (id, article_id, rule, terms, sentence, matched_at)
               VALUES (1, 1, 'R', '["title:nato", "text:ukraine"]', 's', '2026-01-01');"""
    )
    conn.execute(
        "INSERT INTO outbox (match_id, rule, channel, text, blocks, created_at) "
        "VALUES (1, 'R', '#c', 'old text', ?, '2026-01-01T00:00:00+00:00')",
        (json.dumps(blocks),),
    )
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()

    db = open_database(path)
    (row,) = outbox_table.ready_rows(db, "#c", 10)
    assert row.facts is None and row.legacy is not None
    assert row.legacy.text == "old text" and row.legacy.blocks == blocks
    (hits,) = db.execute("SELECT hits FROM matches").fetchone()
    assert json.loads(hits) == [["title", "nato"], ["text", "ukraine"]]
    (key,) = db.execute("SELECT url_key FROM articles").fetchone()
    assert key == "https://a.example/1"


def test_retention_forgets_feed_copies_of_done_entries_and_old_replicas(db: Db) -> None:
    from monitor.storage.sql import operations

    feed_id = _feed(db)
    found = [
        FeedEntry("done", "https://a.example/1", None, None, content="<p>full copy</p>"),
        FeedEntry("waiting", "https://a.example/2", None, None, content="<p>full copy</p>"),
    ]
    entry_table.add_entries(db, feed_id, found, NOW)
    db.execute("UPDATE entries SET status = 'done' WHERE key = 'done'")
    operations.heartbeat(db, "gone", "h", 1, NOW)
    operations.heartbeat(db, "alive", "h", 2, NOW + timedelta(days=8))
    assert operations.prune(db, NOW + timedelta(days=8)) == 2
    rows = dict(db.execute("SELECT key, content FROM entries").fetchall())
    assert rows == {"done": None, "waiting": "<p>full copy</p>"}  # not processed yet: kept
    assert [r[0] for r in db.execute("SELECT id FROM replicas")] == ["alive"]


def test_a_reply_queued_after_its_alert_failed_fails_with_it(db: Db) -> None:
    for alert_id, parent, status in ((1, None, "failed"), (2, 1, "pending")):
        db.execute(
            "INSERT INTO outbox (id, kind, parent_id, channel, status, held, attempts, "
            "uncertain, created_at, last_error) VALUES (?, 'alert', ?, '#c', ?, 0, 0, 0, ?, "
            "'channel_not_found')",
            (alert_id, parent, status, "2026-01-01T00:00:00+00:00"),
        )
    assert outbox_table.claim_channels(db, "a", NOW, LEASE) == []
    (status, error) = db.execute("SELECT status, last_error FROM outbox WHERE id = 2").fetchone()
    assert status == "failed" and "its alert #1 is failed: channel_not_found" in error
