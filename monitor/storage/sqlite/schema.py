"""The one home of the SQLite schema: the current tables (`create_schema`) and VERSION.

A new database gets this schema (built with sqlite-utils) at VERSION; an older one is brought
to it by storage/sqlite/migrations.py. The version lives in SQLite's `user_version` pragma.

Work moves through the tables as through queues: feeds are claimed by pollers, entries
(`new`) by processors, analysed entries by the writer, outbox rows by the deliverer. A claim
is a lease (`claimed_by`, `lease_until`): a process that dies loses it when it expires.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils

VERSION = 5

LEASE = {"claimed_by": str, "lease_until": str}


def create_schema(db: sqlite_utils.Database) -> None:
    """The current schema, for a new database."""
    _feeds(db)
    _entries(db)
    _articles(db)
    _stories(db)
    _matches(db)
    _outbox(db)
    operations_tables(db)
    search_tables(db)


def _feeds(db: sqlite_utils.Database) -> None:
    db.create_table(
        "feeds",
        {
            "id": int,
            "url": str,
            "name": str,  # configured name, else NULL
            "title": str,  # the feed's own title
            "interval_seconds": float,
            "enabled": int,
            "etag": str,
            "last_modified": str,
            "next_poll_at": str,  # ISO 8601 UTC; the schedule lives here
            "last_polled_at": str,
            "last_success_at": str,
            "last_error": str,
            "consecutive_failures": int,
            "fetch_url": str,  # where a permanent redirect moved the feed
            "origin": str,  # config (monitor.yaml) or added (feeds add, OPML)
            "gone": int,  # answered 410 Gone: no longer polled
            "internal_failures": int,  # polls that failed on a bug, not on the feed
            "quarantined": int,  # too many internal failures: waits for `feeds retry`
            **LEASE,
        },
        pk="id",
        not_null={"url", "interval_seconds", "enabled", "consecutive_failures", "origin"},
        defaults={
            "enabled": 1,
            "consecutive_failures": 0,
            "origin": "config",
            "gone": 0,
            "internal_failures": 0,
            "quarantined": 0,
        },
    )
    db.table("feeds").create_index(["url"], unique=True)
    db.table("feeds").create_index(["enabled", "next_poll_at"], index_name="feeds_due")


def _entries(db: sqlite_utils.Database) -> None:
    db.create_table(
        "entries",
        {
            "id": int,
            "feed_id": int,
            "key": str,  # GUID, else canonical link
            "url": str,
            "canonical_url": str,
            "title": str,
            "published": str,
            "first_seen_at": str,
            "status": str,  # new -> analysed -> done; or quarantined
            "attempts": int,
            "retry_at": str,  # after a failed attempt: not before this time
            "content": str,  # the article as the feed carries it, if it does
            "last_error": str,  # or, for a skipped entry, why it was skipped
            "processed_by": str,  # the replica that analysed it
            **LEASE,
        },
        pk="id",
        foreign_keys=[("feed_id", "feeds", "id")],
        not_null={"feed_id", "key", "first_seen_at", "status", "attempts"},
        defaults={"status": "new", "attempts": 0},
    )
    db.table("entries").create_index(["feed_id", "key"], unique=True)
    db.table("entries").create_index(["status", "id"], index_name="entries_status")
    db.table("entries").create_index(["canonical_url"], index_name="entries_canonical_url")


def _articles(db: sqlite_utils.Database) -> None:
    db.create_table(
        "articles",
        {
            "id": int,
            "entry_id": int,
            "url": str,
            "canonical_url": str,  # as the page declares it
            "url_key": str,  # the entry's canonical link: one article per link
            "title": str,
            "text": str,
            "published": str,
            "author": str,
            "sitename": str,
            "language": str,
            "fetched_at": str,
            "dropped": str,  # JSON [text, pass, pattern] of each line the cleaning dropped
            "text_pruned_at": str,  # when retention emptied `text` (and `dropped`)
        },
        pk="id",
        foreign_keys=[("entry_id", "entries", "id")],
        not_null={"entry_id", "url", "url_key", "text", "fetched_at"},
    )
    db.table("articles").create_index(["entry_id"], unique=True)
    db.table("articles").create_index(["url_key"], unique=True)


def _stories(db: sqlite_utils.Database) -> None:
    db.create_table(
        "stories",
        {
            "id": int,
            "speaker": str,
            "key_quote": str,
            "first_article_id": int,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("first_article_id", "articles", "id")],
        not_null={"speaker", "key_quote", "first_article_id", "created_at"},
    )
    db.create_table(
        "statements",
        {
            "id": int,
            "article_id": int,
            "story_id": int,
            "position": int,  # order in the article
            "speaker": str,
            "role": str,
            "quote": str,
            "kind": str,  # direct | indirect
            "sentence": str,
            "background": int,
            "said_at": str,  # the article's date: statements meet inside a window
            "occasion": str,  # the day the text says it was said, when it says so
            "setting": str,  # kind|outlet|place of that occasion (`press||Geneva`), if said
            "start": int,  # character offsets in the article text
            "end": int,
            "words": str,  # the quote's content words, space-separated (its fingerprint)
            "n_words": int,  # how many; set when the statement enters the statement index
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("story_id", "stories", "id")],
        not_null={"article_id", "speaker", "quote", "kind", "sentence", "background", "said_at"},
        defaults={"background": 0},
    )
    db.table("statements").create_index(["speaker", "said_at"], index_name="statements_speaker")
    db.table("statements").create_index(["story_id"], index_name="statements_story")
    db.table("statements").create_index(["article_id"], index_name="statements_article")
    statement_index_tables(db)


# The statement index (storage/sqlite/statement_index.py): for each current statement in a
# story, one row per content word (a quote of fewer than MIN_CONTENT_WORDS content words: one
# row for its normalised quote instead), keyed so that a word's postings of one speaker are
# read newest first within a date range; n_words and occasion are what ranking needs. And
# per speaker, in how many statements each word occurs (the rarest words are looked up).
STATEMENT_INDEX = """
CREATE TABLE statement_terms (
    speaker TEXT NOT NULL,
    term TEXT NOT NULL,
    said_at TEXT NOT NULL,
    statement_id INTEGER NOT NULL REFERENCES statements (id),
    n_words INTEGER NOT NULL,
    occasion TEXT,
    PRIMARY KEY (speaker, term, said_at, statement_id)
) WITHOUT ROWID;
CREATE TABLE statement_term_counts (
    speaker TEXT NOT NULL,
    term TEXT NOT NULL,
    statements INTEGER NOT NULL,
    PRIMARY KEY (speaker, term)
) WITHOUT ROWID
"""


def statement_index_tables(db: sqlite_utils.Database) -> None:
    for statement in STATEMENT_INDEX.split(";\n"):
        if statement.strip():
            db.execute(statement)


# Full-text search (storage/sql/search.py): FTS5 indexes of articles (title, text) and
# statements (speaker, quote) holding only the index ("external content": the text stays in
# its table), kept in step by triggers on every insert, update of the indexed columns and
# delete (retention's emptied texts leave the index too). Case and accents folded, no
# stemming: the same words as PostgreSQL's 'simple' configuration. And the articles by when
# they were fetched: all of them (a search --since starts from there), and those whose text
# retention has not pruned yet.
SEARCH = """
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, content='articles', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE VIRTUAL TABLE statements_fts USING fts5(
    speaker, quote, content='statements', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER statements_fts_insert AFTER INSERT ON statements BEGIN
    INSERT INTO statements_fts (rowid, speaker, quote) VALUES (new.id, new.speaker, new.quote);
END;
CREATE TRIGGER statements_fts_delete AFTER DELETE ON statements BEGIN
    INSERT INTO statements_fts (statements_fts, rowid, speaker, quote)
    VALUES ('delete', old.id, old.speaker, old.quote);
END;
CREATE TRIGGER statements_fts_update AFTER UPDATE OF speaker, quote ON statements BEGIN
    INSERT INTO statements_fts (statements_fts, rowid, speaker, quote)
    VALUES ('delete', old.id, old.speaker, old.quote);
    INSERT INTO statements_fts (rowid, speaker, quote) VALUES (new.id, new.speaker, new.quote);
END;
CREATE INDEX articles_unpruned ON articles (fetched_at) WHERE text_pruned_at IS NULL;
CREATE INDEX articles_fetched ON articles (fetched_at)
"""


def search_tables(db: sqlite_utils.Database) -> None:
    """The FTS5 indexes, their triggers and the retention index (empty: see `index_search`).

    One statement at a time (a trigger's body holds `;`s): executescript would commit the
    caller's transaction first."""
    pending = ""
    for line in (SEARCH + ";").splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            db.execute(pending)
            pending = ""


def index_search(db: sqlite_utils.Database) -> None:
    """Index the articles and statements already stored (a migrated database)."""
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO statements_fts (statements_fts) VALUES ('rebuild')")


def _matches(db: sqlite_utils.Database) -> None:
    db.create_table(
        "matches",
        {
            "id": int,
            "article_id": int,
            "rule": str,
            "hits": str,  # JSON list of [field, term]
            "sentence": str,
            "matched_at": str,
            "statement_id": int,  # the key statement, when the rule found one
            "channel": str,  # the rule's own channel, if it names one
            "followups": str,  # thread | ignore
            "mention": str,
            "priority": str,
            "throttle": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("statement_id", "statements", "id")],
        not_null={"article_id", "rule", "hits", "sentence", "matched_at"},
    )
    db.table("matches").create_index(["article_id", "rule"], unique=True)


def _outbox(db: sqlite_utils.Database) -> None:
    db.create_table(
        "outbox",
        {
            "id": int,
            "kind": str,  # alert | followup | digest
            "match_id": int,
            "entry_id": int,  # delivery order: the order entries arrived
            "story_id": int,
            "rule": str,
            "root_key": str,  # story:rule of a top-level alert: one per story and rule
            "parent_id": int,  # a follow-up: the alert whose thread it goes in
            "digest_id": int,  # a held alert: the digest that carries it
            "held": int,  # over its rule's throttle: waits for the hourly digest
            "channel": str,
            "facts": str,  # JSON: what the alert says; rendered when it is sent
            "text": str,  # schema 2 rows only: the message as rendered then
            "blocks": str,
            "status": str,  # pending | sent | failed | unverified | quarantined
            "attempts": int,
            "last_error": str,
            "next_attempt_at": str,  # after a failed attempt: not before this time
            "uncertain": int,  # a send may have reached Slack: look before resending
            "slack_channel": str,  # the channel ID Slack answered with
            "ts": str,  # Slack's message timestamp, for threads and updates
            "created_at": str,
            "sent_at": str,
            "failed_at": str,
            **LEASE,
        },
        pk="id",
        foreign_keys=[
            ("match_id", "matches", "id"),
            ("story_id", "stories", "id"),
            ("parent_id", "outbox", "id"),
            ("digest_id", "outbox", "id"),
        ],
        not_null={"kind", "held", "channel", "status", "attempts", "uncertain", "created_at"},
        defaults={"kind": "alert", "held": 0, "status": "pending", "attempts": 0, "uncertain": 0},
    )
    db.table("outbox").create_index(["match_id"], unique=True)
    db.table("outbox").create_index(["root_key"], unique=True)
    db.table("outbox").create_index(["status", "channel", "entry_id"], index_name="outbox_due")
    db.table("outbox").create_index(["story_id", "rule"], index_name="outbox_story")
    db.table("outbox").create_index(["parent_id"], index_name="outbox_parent")


def operations_tables(db: sqlite_utils.Database) -> None:
    """Delivery leases per channel, replicas' heartbeats, and problems worth showing."""
    db.create_table(
        "channels",
        {"name": str, "slack_id": str, "last_post_at": str, **LEASE},
        pk="name",
    )
    db.create_table(
        "replicas",
        {
            "id": str,
            "host": str,
            "pid": int,
            "started_at": str,
            "heartbeat_at": str,
            "stopped_at": str,
        },
        pk="id",
    )
    db.create_table(
        "problems",
        {"id": int, "at": str, "kind": str, "subject": str, "detail": str},
        pk="id",
        not_null={"at", "kind", "subject", "detail"},
    )
    db.table("problems").create_index(["kind", "at"], index_name="problems_kind")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (the connection autocommits).

    IMMEDIATE takes the write lock at the start, so a transaction that reads and then
    writes cannot fail half-way because another process wrote in between."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
