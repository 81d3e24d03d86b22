"""SQLite connections: opened with clear errors, one per thread, writes retried when busy.

The daemon never touches SQLite on its event loop: every call runs in a small thread pool
(storage/sqlite/store.py), each thread with its own connection. Writers in one process take
turns on a lock; writers in other processes (a second daemon, `monitor alerts retry`) are
waited for with a short busy timeout and retries, so no call blocks for long at once.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from monitor.errors import DatabaseGone, StorageError
from monitor.storage.sqlite.migrations import migrate
from monitor.storage.sqlite.schema import transaction

T = TypeVar("T")
BUSY_TIMEOUT_MS = 200  # SQLite's own wait for a lock, per attempt
BUSY_DEADLINE = 15.0  # seconds of retries before a write gives up (the caller retries later)


def open_database(path: Path | str, *, migrate_schema: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate; every failure names the file and what to do."""
    where = str(path)
    if where != ":memory:":
        _check_path(Path(where))
    try:
        conn = sqlite3.connect(
            where, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if where != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        db = sqlite_utils.Database(conn)
        if migrate_schema:
            migrate(db, where)
        return db
    except sqlite3.Error as e:
        raise storage_error(where, e) from None


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise StorageError(f"{path}: is a folder; set `database:` to a file path")
    if not path.exists() and not path.parent.is_dir():
        raise StorageError(
            f"{path}: cannot create the database, the folder {path.parent} does not exist"
        )


def storage_error(where: str, error: sqlite3.Error) -> StorageError:
    """What an SQLite error means for the operator, with the file named."""
    message = str(error)
    if "file is not a database" in message:
        return StorageError(
            f"{where}: not a SQLite database ({message}); move the file away or set "
            "`database:` to another path"
        )
    if "readonly" in message or "read-only" in message:
        return StorageError(
            f"{where}: the database is read-only ({message}); monitor must be able to write "
            "the file and create files beside it (-wal, -shm): fix the permissions"
        )
    if "unable to open" in message:
        return StorageError(
            f"{where}: cannot open the database ({message}); check the path and that its "
            "folder is writable"
        )
    if "malformed" in message or "corrupt" in message:
        return StorageError(f"{where}: the database is damaged ({message}); restore a backup")
    return StorageError(f"{where}: database error: {message}")


@dataclass(frozen=True)
class FileIdentity:
    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return cls(stat.st_dev, stat.st_ino)


class Connections:
    """A connection per thread on one database file, and the write discipline."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._all: list[sqlite_utils.Database] = []
        self._made = threading.Lock()
        self._writing = threading.Lock()
        self.closing = False
        first = open_database(self.path)  # validates and migrates, once
        self._adopt(first)
        self.identity = FileIdentity.of(Path(self.path)) if self.path != ":memory:" else None

    def _adopt(self, db: sqlite_utils.Database) -> None:
        self._local.db = db
        with self._made:
            self._all.append(db)

    def db(self) -> sqlite_utils.Database:
        """This thread's connection (opened on first use)."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = open_database(self.path, migrate_schema=False)
            self._adopt(db)
        return db

    def read(self, fn: Callable[..., T], *args: object) -> T:
        try:
            return fn(self.db(), *args)
        except sqlite3.Error as e:
            raise storage_error(self.path, e) from None

    def write(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(db, *args)` in one IMMEDIATE transaction, retried while the file is busy."""
        return self._transact(self.db(), fn, args)

    def writes(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(db, transact, *args)`: fn runs several transactions, each with
        `transact(g, *a)` (one retried IMMEDIATE transaction of `g(db, *a)`), so a batch
        costs one trip to this thread and one failure undoes only its own transaction."""

        def transact(g: Callable[..., object], *a: object) -> object:
            return self._transact(db, g, a)

        db = self.db()
        try:
            return fn(db, transact, *args)
        except sqlite3.Error as e:
            raise storage_error(self.path, e) from None

    def _transact(
        self, db: sqlite_utils.Database, fn: Callable[..., T], args: tuple[object, ...]
    ) -> T:
        deadline = time.monotonic() + BUSY_DEADLINE
        while True:
            try:
                with self._writing, transaction(db.conn):
                    return fn(db, *args)
            except sqlite3.OperationalError as e:
                if not _busy(e) or time.monotonic() > deadline or self.closing:
                    raise storage_error(self.path, e) from None
            except sqlite3.Error as e:
                raise storage_error(self.path, e) from None
            time.sleep(random.uniform(0.01, 0.05))

    def maintain(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(db, *args)` outside any transaction (VACUUM cannot run in one), as this
        process's only writer meanwhile, retried while another process holds the file."""
        deadline = time.monotonic() + BUSY_DEADLINE
        db = self.db()
        while True:
            try:
                with self._writing:
                    return fn(db, *args)
            except sqlite3.OperationalError as e:
                if not _busy(e) or time.monotonic() > deadline or self.closing:
                    raise storage_error(self.path, e) from None
            except sqlite3.Error as e:
                raise storage_error(self.path, e) from None
            time.sleep(random.uniform(0.01, 0.05))

    def check_identity(self) -> None:
        """Stop writing to a file that was deleted or replaced under us: its data is gone
        for everyone else, and a restart would start from scratch (and alert again)."""
        if self.identity is None:
            return
        now = FileIdentity.of(Path(self.path))
        if now is None:
            raise DatabaseGone(
                f"{self.path}: the database file was deleted while monitor was running; "
                "stopping so nothing more is written to a file no one can read"
            )
        if now != self.identity:
            raise DatabaseGone(
                f"{self.path}: the database file was replaced while monitor was running "
                f"(inode {self.identity.inode} -> {now.inode}); stopping, restart monitor"
            )

    def close(self) -> None:
        self.closing = True
        with self._made:
            for db in self._all:
                with contextlib.suppress(sqlite3.Error):
                    db.conn.close()
            self._all.clear()


def _busy(error: sqlite3.OperationalError) -> bool:
    message = str(error)
    return "locked" in message or "busy" in message
