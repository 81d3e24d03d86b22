"""`monitor db copy`: move an SQLite installation to PostgreSQL with nothing lost.

Every table is copied row for row (the columns are the same on both backends) in one
PostgreSQL transaction, the identity sequences are set past the copied ids, and the row
counts are compared before it commits. The target must be empty: copying into a database
that replicas already use would mix two histories.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlite_utils

from monitor.errors import StorageError
from monitor.storage.postgres.connection import open_server_database, redact, storage_error
from monitor.storage.postgres.database import PgDatabase
from monitor.storage.postgres.schema import TABLES
from monitor.storage.sqlite.connection import open_database
from monitor.storage.sqlite.connection import storage_error as sqlite_error


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int


def copy_database(source: Path, target: str) -> list[Copied]:
    """Copy every row of the SQLite file `source` into the empty PostgreSQL `target`."""
    if not source.is_file():
        raise StorageError(f"{source}: no such SQLite database file")
    sqlite = open_database(source)  # brought to the current schema first
    pg = open_server_database(target)
    try:
        return _copy_all(sqlite, pg, target)
    except psycopg.Error as e:
        raise storage_error(target, e) from None
    except sqlite3.Error as e:
        raise sqlite_error(str(source), e) from None
    finally:
        pg.conn.close()
        sqlite.conn.close()


def _copy_all(sqlite: sqlite_utils.Database, pg: PgDatabase, target: str) -> list[Copied]:
    with pg.conn.transaction():
        _refuse_if_used(pg.conn, target)
        copied = [Copied(t, _copy_table(sqlite.conn, pg.conn, t)) for t in TABLES]
        for done in copied:
            (count,) = pg.execute(f"SELECT count(*) FROM {done.table}").fetchone()
            if count != done.rows:
                raise StorageError(
                    f"{redact(target)}: {done.table}: copied {done.rows} rows but "
                    f"{count} arrived; nothing was committed"
                )
    return copied


def _refuse_if_used(conn: psycopg.Connection[Any], target: str) -> None:
    for table in ("feeds", "entries", "outbox"):
        if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            raise StorageError(
                f"{redact(target)}: the target database already holds {table}; copy into a "
                "new, empty database (createdb), then point the replicas at it"
            )


def _copy_table(sqlite: sqlite3.Connection, pg: psycopg.Connection[Any], table: str) -> int:
    columns = [r[1] for r in sqlite.execute(f"PRAGMA table_info({table})")]
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows = 0
    with pg.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in sqlite.execute(f"SELECT {quoted} FROM {table}"):
            copy.write_row(row)
            rows += 1
    found = (
        pg.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()
        if "id" in columns
        else None
    )
    sequence = found[0] if found else None
    if sequence is not None:  # an identity column: new rows get ids after the copied ones
        pg.execute(f"SELECT setval(%s, coalesce(max(id), 0) + 1, false) FROM {table}", (sequence,))
    return rows
