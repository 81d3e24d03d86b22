"""PostgreSQL connections: one per thread, migrated once, errors without the password.

Like the SQLite store, every call runs in the store's small thread pool on that thread's
own connection (autocommit; a write is one READ COMMITTED transaction). Claims lock the
rows they take (`FOR UPDATE SKIP LOCKED`) and re-check them; the writer locks the rows of
its article's speakers (dialect.lock_speakers). A deadlock or serialization failure, should
one happen, is retried.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict

from monitor.errors import StorageError
from monitor.storage.postgres.database import PgDatabase
from monitor.storage.postgres.schema import MIGRATION_LOCK, MIGRATIONS, VERSION

T = TypeVar("T")
CONNECT_TIMEOUT = 10  # seconds
RETRY_DEADLINE = 15.0  # seconds of retries on conflicts before a write gives up
_CONFLICTS = (errors.SerializationFailure, errors.DeadlockDetected)


def redact(url: str) -> str:
    """The URL as it may be shown: no password (errors, logs, `monitor status`)."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(unparsable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = parts.get("host") or "localhost"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def _secret(url: str) -> str | None:
    try:
        password = conninfo_to_dict(url).get("password")
    except psycopg.Error:
        return None
    return str(password) if password else None


def storage_error(url: str, error: BaseException) -> StorageError:
    """What a PostgreSQL error means for the operator, with the server named (never the
    password)."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    secret = _secret(url)
    if secret:
        message = message.replace(secret, "***")
    where = redact(url)
    if isinstance(error, psycopg.OperationalError) and "connection failed" in message:
        return StorageError(
            f"{where}: cannot connect to PostgreSQL ({message}); check that the server runs "
            "and the URL (database:, or $MONITOR_DATABASE_URL)"
        )
    if isinstance(error, psycopg.OperationalError):
        return StorageError(
            f"{where}: lost the connection to PostgreSQL ({message}); it is reopened on the "
            "next call"
        )
    if isinstance(error, errors.ReadOnlySqlTransaction | errors.InsufficientPrivilege):
        return StorageError(
            f"{where}: the database refuses writes ({message}); monitor needs a user that "
            "can write its tables"
        )
    return StorageError(f"{where}: database error: {message}")


def connect(url: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as e:
        raise storage_error(url, e) from None


def schema_version(conn: psycopg.Connection[Any]) -> int:
    exists = conn.execute("SELECT to_regclass('schema_version')").fetchone()
    if exists is None or exists[0] is None:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: psycopg.Connection[Any], url: str) -> int:
    """Bring the database to VERSION (each replica may call this; one migrates, under a
    lock, the others find it done). Returns the version it was at."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        before = schema_version(conn)
        if before > VERSION:
            raise StorageError(
                f"{redact(url)}: the database is at schema version {before}, newer than this "
                f"monitor (version {VERSION}); upgrade monitor"
            )
        if before == 0:
            conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for version in range(before + 1, VERSION + 1):
            conn.execute(MIGRATIONS[version].encode())
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
    return before


def open_server_database(url: str, *, migrate_schema: bool = True) -> PgDatabase:
    """Connect (and migrate); every failure names the server, never the password."""
    conn = connect(url)
    try:
        if migrate_schema:
            migrate(conn, url)
        elif schema_version(conn) != VERSION:
            raise StorageError(
                f"{redact(url)}: the database is not at schema version {VERSION}; "
                "run `monitor db upgrade`"
            )
    except psycopg.Error as e:
        conn.close()
        raise storage_error(url, e) from None
    except StorageError:
        conn.close()
        raise
    return PgDatabase(conn)


class PgConnections:
    """A connection per thread on one PostgreSQL database, and the write discipline."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = redact(url)  # what errors and `status` show
        self._local = threading.local()
        self._all: list[PgDatabase] = []
        self._made = threading.Lock()
        self.closing = False
        self._adopt(open_server_database(url))  # validates and migrates, once

    def _adopt(self, db: PgDatabase) -> None:
        self._local.db = db
        with self._made:
            self._all.append(db)

    def db(self) -> PgDatabase:
        """This thread's connection (opened on first use, reopened after it broke)."""
        db: PgDatabase | None = getattr(self._local, "db", None)
        if db is None or db.conn.closed or db.conn.broken:
            db = PgDatabase(connect(self.url))
            self._adopt(db)
        return db

    def read(self, fn: Callable[..., T], *args: object) -> T:
        try:
            return fn(self.db(), *args)
        except psycopg.Error as e:
            raise storage_error(self.url, e) from None

    def write(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(db, *args)` in one transaction, retried on a deadlock or serialization conflict."""
        return self._transact(self.db(), fn, args)

    def writes(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(db, transact, *args)`: fn runs several transactions (`transact(g, *a)`)."""

        def transact(g: Callable[..., object], *a: object) -> object:
            return self._transact(db, g, a)

        db = self.db()
        try:
            return fn(db, transact, *args)
        except psycopg.Error as e:
            raise storage_error(self.url, e) from None

    def _transact(self, db: PgDatabase, fn: Callable[..., T], args: tuple[object, ...]) -> T:
        deadline = time.monotonic() + RETRY_DEADLINE
        while True:
            try:
                with db.conn.transaction():
                    return fn(db, *args)
            except _CONFLICTS as e:
                if time.monotonic() > deadline or self.closing:
                    raise storage_error(self.url, e) from None
            except psycopg.Error as e:
                raise storage_error(self.url, e) from None
            time.sleep(random.uniform(0.005, 0.05))  # back off before the retry, not a wait

    def maintain(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(db, *args)` outside any transaction (the connection autocommits)."""
        return self.read(fn, *args)

    def check_identity(self) -> None:
        """The server still answers (a lost connection is reopened on the next call)."""
        self.read(lambda db: db.execute("SELECT 1").fetchone())

    def close(self) -> None:
        self.closing = True
        with self._made:
            for db in self._all:
                with contextlib.suppress(psycopg.Error):
                    db.conn.close()
            self._all.clear()
