"""The one home of the database schema: SCHEMA, VERSION and MIGRATIONS.

A new database gets SCHEMA at VERSION. An older one is migrated step by step, each step in
its own transaction with a foreign-key check; a database newer than the code is refused.
The version lives in SQLite's `user_version` pragma.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from monitor.errors import StorageError

VERSION = 2

STORIES = """
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    speaker TEXT NOT NULL,
    key_quote TEXT NOT NULL,
    first_article_id INTEGER NOT NULL REFERENCES articles (id),
    created_at TEXT NOT NULL
);

CREATE TABLE statements (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    story_id INTEGER REFERENCES stories (id),
    speaker TEXT NOT NULL,
    role TEXT,
    quote TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'indirect')),
    sentence TEXT NOT NULL,
    background INTEGER NOT NULL DEFAULT 0,
    said_at TEXT NOT NULL,            -- the article's date: statements meet inside a window
    occasion TEXT                     -- the day the text says it was said, when it says so
);
CREATE INDEX statements_speaker ON statements (speaker, said_at);
CREATE INDEX statements_story ON statements (story_id);
"""

SCHEMA = (
    """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT,                        -- configured name, else NULL
    title TEXT,                       -- the feed's own title
    interval_seconds REAL NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    next_poll_at TEXT,                -- ISO 8601 UTC; the schedule lives here
    last_polled_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    fetch_url TEXT,                   -- where a permanent redirect moved the feed
    origin TEXT NOT NULL DEFAULT 'config',  -- config (monitor.yaml) or added (feeds add, OPML)
    gone INTEGER NOT NULL DEFAULT 0   -- answered 410 Gone: no longer polled
);
CREATE INDEX feeds_due ON feeds (enabled, next_poll_at);

CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    key TEXT NOT NULL,                -- GUID, else canonical link
    url TEXT,
    canonical_url TEXT,
    title TEXT,
    published TEXT,
    first_seen_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT,                    -- after a failed attempt: not before this time
    content TEXT,                     -- the article as the feed carries it, if it does
    last_error TEXT,
    UNIQUE (feed_id, key)
);
CREATE INDEX entries_status ON entries (status, id);
CREATE INDEX entries_canonical_url ON entries (canonical_url);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL UNIQUE REFERENCES entries (id),
    url TEXT NOT NULL,
    canonical_url TEXT,
    title TEXT,
    text TEXT NOT NULL,
    published TEXT,
    author TEXT,
    sitename TEXT,
    language TEXT,
    fetched_at TEXT NOT NULL
);

CREATE TABLE matches (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    rule TEXT NOT NULL,
    terms TEXT NOT NULL,              -- JSON list
    sentence TEXT NOT NULL,
    matched_at TEXT NOT NULL,
    UNIQUE (article_id, rule)
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    match_id INTEGER NOT NULL UNIQUE REFERENCES matches (id),
    story_id INTEGER REFERENCES stories (id),
    rule TEXT,
    held INTEGER NOT NULL DEFAULT 0,  -- over its rule's throttle: waits for the hourly digest
    next_attempt_at TEXT,             -- after a failed attempt: not before this time
    uncertain INTEGER NOT NULL DEFAULT 0,  -- a send may have reached Slack: look before resending
    slack_channel TEXT,               -- the channel ID Slack answered with
    parent_id INTEGER REFERENCES outbox (id),  -- set for a follow-up: the alert whose thread
    channel TEXT NOT NULL,
    text TEXT NOT NULL,
    blocks TEXT NOT NULL,             -- JSON Block Kit
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    ts TEXT,                          -- Slack's message timestamp, for threads and updates
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_status ON outbox (status, id);
CREATE INDEX outbox_story ON outbox (story_id, rule);
"""
    + STORIES
)

Migration = Callable[[sqlite3.Connection], None]


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Statements and stories; outbox rows learn their story, rule and thread parent;
    feeds learn where they moved and whether they are gone."""
    _execute_script(conn, STORIES)
    conn.execute("ALTER TABLE feeds ADD COLUMN fetch_url TEXT")
    conn.execute("ALTER TABLE entries ADD COLUMN content TEXT")
    conn.execute("ALTER TABLE feeds ADD COLUMN origin TEXT NOT NULL DEFAULT 'config'")
    conn.execute("ALTER TABLE feeds ADD COLUMN gone INTEGER NOT NULL DEFAULT 0")
    for column in (
        "story_id INTEGER REFERENCES stories (id)",
        "rule TEXT",
        "parent_id INTEGER REFERENCES outbox (id)",
        "held INTEGER NOT NULL DEFAULT 0",
        "next_attempt_at TEXT",
        "uncertain INTEGER NOT NULL DEFAULT 0",
        "slack_channel TEXT",
    ):
        conn.execute(f"ALTER TABLE outbox ADD COLUMN {column}")
    conn.execute("CREATE INDEX outbox_story ON outbox (story_id, rule)")


# MIGRATIONS[n] upgrades a database from version n to n + 1.
MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database; WAL mode, foreign keys on."""
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    except sqlite3.Error as e:
        raise StorageError(f"{path}: cannot open the database ({e})") from e
    conn.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    _migrate(conn, path)
    return sqlite_utils.Database(conn)


def _migrate(conn: sqlite3.Connection, path: Path | str) -> None:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > VERSION:
        raise StorageError(
            f"{path}: database schema version {version} is newer than this monitor "
            f"understands ({VERSION}); upgrade monitor"
        )
    if version == 0 and not _has_tables(conn):
        _step(conn, _create_schema, VERSION)
        return
    while version < VERSION:
        if version not in MIGRATIONS:
            raise StorageError(f"{path}: no migration from schema version {version}")
        _step(conn, MIGRATIONS[version], version + 1)
        version += 1


def _create_schema(conn: sqlite3.Connection) -> None:
    _execute_script(conn, SCHEMA)


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """executescript() would commit; statements one by one stay inside our transaction."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return bool(row[0])


def _step(conn: sqlite3.Connection, migration: Migration, to_version: int) -> None:
    """Run one migration in a transaction; refuse it if it leaves dangling foreign keys."""
    with transaction(conn):
        migration(conn)
        if conn.execute("PRAGMA foreign_key_check").fetchall():
            raise StorageError(f"migration to schema version {to_version} broke foreign keys")
        conn.execute(f"PRAGMA user_version = {int(to_version)}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (the connection autocommits)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
