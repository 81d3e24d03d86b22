"""The queries both backends run: feeds, entries, stories, outbox, operations, and the
statement index. They are written once, in the SQL that SQLite and PostgreSQL share; the
few places where the dialects differ go through dialect.py."""
