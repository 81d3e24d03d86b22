from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import FeedConfig
from monitor.errors import StorageError
from monitor.records import FeedEntry
from monitor.storage import VERSION, open_database
from monitor.storage import entries as entry_store
from monitor.storage import feeds as feed_store

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_new_database_is_at_current_version_in_wal_mode(tmp_path: Path) -> None:
    db = open_database(tmp_path / "m.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"feeds", "entries", "articles", "matches", "outbox"} <= set(db.table_names())


def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer than this monitor"):
        open_database(path)


def test_claiming_reschedules_so_a_feed_is_not_due_twice() -> None:
    db = open_database(":memory:")
    feed_store.sync_feeds(db, [FeedConfig(url="https://a.example/f", interval="10m")], NOW)
    assert len(feed_store.claim_due_feeds(db, NOW, lambda: 0.1)) == 1
    assert feed_store.claim_due_feeds(db, NOW + timedelta(minutes=10), lambda: 0.0) == []
    assert len(feed_store.claim_due_feeds(db, NOW + timedelta(minutes=11), lambda: 0.0)) == 1


def test_feeds_removed_from_config_are_disabled() -> None:
    db = open_database(":memory:")
    feed_store.sync_feeds(db, [FeedConfig(url="https://a.example/f")], NOW)
    feed_store.sync_feeds(db, [FeedConfig(url="https://b.example/f")], NOW)
    assert [f.url for f in feed_store.enabled_feeds(db)] == ["https://b.example/f"]


def test_entries_are_added_once() -> None:
    db = open_database(":memory:")
    feed_store.sync_feeds(db, [FeedConfig(url="https://a.example/f")], NOW)
    (feed,) = feed_store.enabled_feeds(db)
    entries = [FeedEntry(key="k1", url="https://a.example/1", title="t", published=None)]
    assert entry_store.add_entries(db, feed.id, entries, NOW) == 1
    assert entry_store.add_entries(db, feed.id, entries, NOW) == 0
    assert len(entry_store.pending_entries(db, NOW)) == 1


def test_entry_failures_are_retried_then_parked() -> None:
    db = open_database(":memory:")
    feed_store.sync_feeds(db, [FeedConfig(url="https://a.example/f")], NOW)
    (feed,) = feed_store.enabled_feeds(db)
    entry_store.add_entries(db, feed.id, [FeedEntry("k", "https://a.example/1", None, None)], NOW)
    now = NOW
    for attempt in range(1, entry_store.MAX_ATTEMPTS):
        (entry,) = entry_store.pending_entries(db, now)
        entry_store.record_entry_failure(db, entry, "HTTP 503", now)
        backoff = entry_store.RETRY_BASE * 2 ** (attempt - 1)
        assert entry_store.pending_entries(db, now + backoff - timedelta(seconds=1)) == []
        now += backoff
    (entry,) = entry_store.pending_entries(db, now)
    assert entry.attempts == entry_store.MAX_ATTEMPTS - 1
    entry_store.record_entry_failure(db, entry, "HTTP 503", now)
    assert entry_store.pending_entries(db, now + timedelta(days=1)) == []


def test_version_1_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    from tests.conftest import DATA

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((DATA / "schema_v1.sql").read_text(encoding="utf-8"))
    conn.execute(
        "INSERT INTO feeds (url, interval_seconds, next_poll_at) "
        "VALUES ('https://a.example/f', 300, '2026-01-01T00:00:00+00:00')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    db = open_database(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert {"stories", "statements"} <= set(db.table_names())
    assert {"story_id", "rule", "parent_id"} <= {c.name for c in db["outbox"].columns}
    assert [f.url for f in feed_store.enabled_feeds(db)] == ["https://a.example/f"]
