"""Storage: the Store interface the stages use, and its SQLite implementation.

Each backend has its own folder with its schema, migrations and queries; the stages only
see `Store` (storage/base.py), whose claim operations are leases any number of processes
can share.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.storage.base import Store, WritePolicy
from monitor.storage.sqlite.connection import open_database
from monitor.storage.sqlite.schema import VERSION
from monitor.storage.sqlite.store import SqliteStore

__all__ = ["VERSION", "SqliteStore", "Store", "WritePolicy", "open_database", "open_store"]


async def open_store(database: Path | str) -> Store:
    """Open (creating and migrating as needed) the configured database."""
    sqlite = await asyncio.to_thread(SqliteStore, database)
    store: Store = sqlite  # checks that SqliteStore keeps the whole interface
    return store
