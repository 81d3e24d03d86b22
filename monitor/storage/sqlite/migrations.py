"""Migrations of the SQLite schema: MIGRATIONS[n] brings a database from version n to n + 1.

Each step runs in its own IMMEDIATE transaction, reads the version inside it (so processes
that start together migrate once between them) and checks foreign keys; a database newer
than the code is refused.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from monitor.errors import StorageError
from monitor.storage.sql.statement_index import index_all
from monitor.storage.sqlite.schema import (
    LEASE,
    VERSION,
    create_schema,
    index_search,
    operations_tables,
    search_tables,
    statement_index_tables,
    transaction,
)

Migration = Callable[[sqlite_utils.Database], None]


def _v1_to_v2(db: sqlite_utils.Database) -> None:
    """Statements and stories; outbox rows learn their story, rule and thread parent;
    feeds learn where they moved and whether they are gone. (As released with version 2.)"""
    conn = db.conn
    for statement in _V2_STORIES.split(";\n"):
        if statement.strip():
            conn.execute(statement)
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


_V2_STORIES = """
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
    said_at TEXT NOT NULL,
    occasion TEXT
);
CREATE INDEX statements_speaker ON statements (speaker, said_at);
CREATE INDEX statements_story ON statements (story_id)
"""


def _v2_to_v3(db: sqlite_utils.Database) -> None:
    """The staged runtime: leases on feeds, entries and outbox rows; entries go new ->
    analysed -> done (or quarantined); one article per canonical link; alerts keep their
    facts and are rendered when sent; channels, replicas and problems tables."""
    _add_columns(db, "feeds", {**LEASE, "internal_failures": int, "quarantined": int})
    db.execute("UPDATE feeds SET internal_failures = 0, quarantined = 0")
    db.table("feeds").transform(
        not_null={"internal_failures", "quarantined"},
        defaults={"internal_failures": 0, "quarantined": 0},
    )
    _add_columns(db, "entries", {**LEASE, "processed_by": str})
    db.execute("UPDATE entries SET status = 'quarantined' WHERE status = 'failed'")
    _add_columns(db, "articles", {"url_key": str})
    db.execute(
        """UPDATE articles SET url_key = coalesce(
               (SELECT e.canonical_url FROM entries e WHERE e.id = articles.entry_id
                AND NOT EXISTS (SELECT 1 FROM articles b JOIN entries f ON f.id = b.entry_id
                                WHERE f.canonical_url = e.canonical_url AND b.id < articles.id)),
               'entry:' || entry_id)"""
    )
    db.table("articles").transform(not_null={"url_key"})
    db.table("articles").create_index(["url_key"], unique=True)
    _add_columns(db, "statements", {"position": int, "start": int, "end": int, "words": str})
    db.table("statements").create_index(["article_id"], index_name="statements_article")
    _migrate_matches(db)
    _migrate_outbox(db)
    operations_tables(db)


def _add_columns(db: sqlite_utils.Database, table: str, columns: dict[str, type]) -> None:
    for name, kind in columns.items():
        db.table(table).add_column(name, kind)


def _migrate_matches(db: sqlite_utils.Database) -> None:
    """`terms` held "field:term" strings; `hits` holds [field, term] pairs."""
    _add_columns(
        db,
        "matches",
        {
            "statement_id": int,
            "channel": str,
            "followups": str,
            "mention": str,
            "priority": str,
            "throttle": int,
        },
    )
    db.execute(
        """UPDATE matches SET terms = (
               SELECT json_group_array(json_array(
                   substr(value, 1, instr(value, ':') - 1), substr(value, instr(value, ':') + 1)))
               FROM json_each(matches.terms))"""
    )
    db.table("matches").transform(rename={"terms": "hits"})


def _migrate_outbox(db: sqlite_utils.Database) -> None:
    """Rows of schema 2 keep their rendered text and blocks (they have no facts); new
    columns for kinds, digests, claims and story identity."""
    _add_columns(
        db,
        "outbox",
        {
            "kind": str,
            "entry_id": int,
            "root_key": str,
            "digest_id": int,
            "facts": str,
            "failed_at": str,
            **LEASE,
        },
    )
    db.execute(
        """UPDATE outbox SET
               kind = CASE WHEN parent_id IS NULL THEN 'alert' ELSE 'followup' END,
               entry_id = (SELECT a.entry_id FROM matches m JOIN articles a
                           ON a.id = m.article_id WHERE m.id = outbox.match_id)"""
    )
    db.execute(
        """UPDATE outbox SET root_key = story_id || ':' || rule
           WHERE parent_id IS NULL AND story_id IS NOT NULL AND id = (
               SELECT min(o.id) FROM outbox o WHERE o.story_id = outbox.story_id
               AND o.rule = outbox.rule AND o.parent_id IS NULL)"""
    )
    db.table("outbox").transform(
        not_null={"kind": True, "match_id": False, "text": False, "blocks": False},
        defaults={"kind": "alert"},
    )
    db.table("outbox").create_index(["root_key"], unique=True)
    db.table("outbox").create_index(["status", "channel", "entry_id"], index_name="outbox_due")
    db.table("outbox").create_index(["parent_id"], index_name="outbox_parent")


def _v3_to_v4(db: sqlite_utils.Database) -> None:
    """The statement index (storage/sqlite/statement_index.py), built for the current
    statements already in stories; statements learn their word count and the setting of their
    occasion (kind|outlet|place)."""
    _add_columns(db, "statements", {"n_words": int, "setting": str})
    statement_index_tables(db)
    index_all(db)


def _v4_to_v5(db: sqlite_utils.Database) -> None:
    """History: full-text search (FTS5 indexes of articles and statements, kept in step by
    triggers), built for the rows already stored; articles learn what the cleaning dropped
    and when retention pruned their text."""
    _add_columns(db, "articles", {"dropped": str, "text_pruned_at": str})
    search_tables(db)
    index_search(db)


# MIGRATIONS[n] upgrades a database from version n to n + 1.
MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5}


def migrate(db: sqlite_utils.Database, where: str) -> None:
    """Bring the database to VERSION (creating it when empty); refuse a newer one.

    Each step reads the version inside its own IMMEDIATE transaction, so processes that
    start together on a new or old database migrate it once between them."""
    while _step(db, where):
        pass


def _step(db: sqlite_utils.Database, where: str) -> bool:
    """One migration (or the creation) in a transaction, checked for dangling foreign keys;
    False when there is nothing left to do."""
    with transaction(db.conn):
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise StorageError(
                f"{where}: database schema version {version} is newer than this monitor "
                f"understands ({VERSION}); upgrade monitor"
            )
        if version == VERSION:
            return False
        if version == 0 and not db.table_names():
            create_schema(db)
            to_version = VERSION
        elif version in MIGRATIONS:
            MIGRATIONS[version](db)
            to_version = version + 1
        else:
            raise StorageError(f"{where}: no migration from schema version {version}")
        if db.execute("PRAGMA foreign_key_check").fetchall():
            raise StorageError(f"migration to schema version {to_version} broke foreign keys")
        db.execute(f"PRAGMA user_version = {int(to_version)}")
        return True
