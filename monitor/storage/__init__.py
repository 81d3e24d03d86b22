"""Storage: the Store interface the stages use, on SQLite (the embedded default) or
PostgreSQL (several replicas on one database).

Each backend has its own folder with its schema, migrations and connections; the queries
they share live in storage/sql/. The stages only see `Store` (storage/base.py), whose
claim operations are leases any number of processes can share.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.config import is_server_url
from monitor.storage.base import Store, WritePolicy
from monitor.storage.sql.store import PostgresStore, SqliteStore
from monitor.storage.sqlite.connection import open_database
from monitor.storage.sqlite.schema import VERSION

__all__ = [
    "VERSION",
    "PostgresStore",
    "SqliteStore",
    "Store",
    "WritePolicy",
    "open_database",
    "open_store",
]


async def open_store(database: Path | str) -> Store:
    """Open (creating and migrating as needed) the configured database."""
    store: Store  # checks that both stores keep the whole interface
    if is_server_url(database):
        store = await asyncio.to_thread(PostgresStore, str(database))
    else:
        store = await asyncio.to_thread(SqliteStore, database)
    return store
