"""A database of one benchmark run's own on a PostgreSQL server: created, then dropped."""

from __future__ import annotations

import uuid

import psycopg


class ServerDatabase:
    """A fresh database on the server of `url` (whose own database is only connected to)."""

    def __init__(self, url: str, prefix: str = "monitor_bench") -> None:
        self.admin = url
        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = url.rsplit("/", 1)[0] + f"/{self.name}"

    def drop(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
