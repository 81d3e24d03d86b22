"""The PostgreSQL backend: its schema and migrations, and connections that run the shared
queries of storage/sql/. Several replicas share one database and coordinate through row
locks (`FOR UPDATE SKIP LOCKED` claims) and unique constraints only."""
