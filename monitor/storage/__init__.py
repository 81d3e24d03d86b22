"""SQLite storage (sqlite-utils): one schema with a version, one module per table family."""

from monitor.storage.schema import VERSION, open_database

__all__ = ["VERSION", "open_database"]
