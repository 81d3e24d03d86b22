"""Where SQLite and PostgreSQL differ, for the shared queries: one small function each.

Everything else in storage/sql/ is SQL both accept. Dates are stored as ISO 8601 UTC text
and flags as 0/1 integers on both backends, so rows compare, sort and copy the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlite_utils

from monitor.storage.postgres.database import PgDatabase

Db = sqlite_utils.Database | PgDatabase


def is_postgres(db: Db) -> bool:
    return isinstance(db, PgDatabase)


def search_rows(db: Db, sql: str, params: dict[str, Any]) -> list[Any]:
    """The rows of a full-text query. On PostgreSQL it is planned for these very words (never
    a prepared generic plan, blind to how many rows they match) and made to go through the
    search indexes: the planner counts a row's `search @@ query` as cheap, not seeing that
    it reads the row's whole tsvector out of TOAST, so it would rather scan every row
    (4,000 ms instead of 4 on 50,000 articles). SQLite's FTS5 tables are searched through
    their index anyway."""
    if not isinstance(db, PgDatabase):
        return list(db.execute(sql, params).fetchall())
    with db.conn.transaction():
        db.execute("SET LOCAL enable_seqscan = off")
        db.execute("SET LOCAL enable_indexscan = off")
        db.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # slower, not faster, here
        return db.execute(sql, params, prepare=False).fetchall()


def locked(db: Db, table: str) -> str:
    """Appended to a SELECT whose row this transaction goes on to change: on PostgreSQL the
    row is locked, waiting for another writer of it and re-read after that one commits
    (SQLite has one writer at a time anyway)."""
    return f" FOR UPDATE OF {table}" if is_postgres(db) else ""


def skip_locked(db: Db) -> str:
    """Appended to a claim's inner SELECT: on PostgreSQL, rows another replica is claiming
    right now are skipped, not waited for (SQLite has one writer at a time anyway)."""
    return " FOR UPDATE SKIP LOCKED" if is_postgres(db) else ""


def json_ids(db: Db, placeholder: str = "?") -> str:
    """A subquery of the integers in a JSON array parameter (for `id IN (...)`)."""
    if is_postgres(db):
        values = f"jsonb_array_elements_text(CAST({placeholder} AS jsonb))"
        return f"(SELECT CAST(v AS BIGINT) FROM {values} AS v)"
    return f"(SELECT value FROM json_each({placeholder}))"


def json_texts(db: Db, placeholder: str = "?") -> str:
    """A subquery of the strings in a JSON array parameter (for `term IN (...)`)."""
    if is_postgres(db):
        return f"(SELECT v FROM jsonb_array_elements_text(CAST({placeholder} AS jsonb)) AS v)"
    return f"(SELECT value FROM json_each({placeholder}))"


def joined(db: Db, expression: str, separator: str) -> str:
    """An aggregate joining `expression` with `separator` (a plain literal)."""
    function = "string_agg" if is_postgres(db) else "group_concat"
    return f"{function}({expression}, '{separator}')"


def execute_many(db: Db, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """`sql` once per row, in one call; returns the rows changed."""
    if not rows:
        return 0
    if isinstance(db, PgDatabase):
        return db.executemany(sql, rows)
    return max(db.conn.executemany(sql, rows).rowcount, 0)


def insert(db: Db, table: str, row: Mapping[str, Any]) -> int:
    """Insert one row; its new id."""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"
    (new_id,) = db.execute(sql, list(row.values())).fetchone()
    return int(new_id)


def insert_new(db: Db, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert the rows whose unique keys are not taken yet; returns how many were."""
    if not rows:
        return 0
    columns = list(rows[0])
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        "ON CONFLICT DO NOTHING"
    )
    return execute_many(db, sql, [[r[c] for c in columns] for r in rows])


def take_turns(db: Db, keys: Sequence[str]) -> None:
    """Take turns with other writers holding any of these keys (`speaker:…`, `rule:…`)
    until the transaction ends: two replicas writing two outlets' reports of one statement
    at once would each find no story and open one. On PostgreSQL, a row per key locked FOR
    UPDATE (in key order, so two writers never wait on each other in a cycle); what the
    other writer committed meanwhile is visible to the statements after it. SQLite's write
    transactions are one at a time already."""
    if not is_postgres(db) or not keys:
        return
    names = json.dumps(sorted(set(keys)))
    db.execute(
        f"INSERT INTO writer_locks (key) SELECT * FROM {json_texts(db)} AS k "
        "ORDER BY 1 ON CONFLICT DO NOTHING",
        (names,),
    )
    db.execute(
        f"SELECT key FROM writer_locks WHERE key IN {json_texts(db)} ORDER BY key FOR UPDATE",
        (names,),
    ).fetchall()
