"""A real PostgreSQL server for the tests: each test gets a database of its own.

The server is $MONITOR_TEST_POSTGRES (default: the project machines' local PostgreSQL,
trust auth). When it cannot be reached the test fails with what to do; PostgreSQL tests
are never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

ADMIN_URL = os.environ.get("MONITOR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        pytest.fail(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({str(e).strip()}); start it "
            "(`pg_ctlcluster 15 main start`, or `docker run -p 5432:5432 -e "
            "POSTGRES_HOST_AUTH_METHOD=trust postgres:15`) or set MONITOR_TEST_POSTGRES",
            pytrace=False,
        )


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create an empty database; yield its URL; drop it afterwards."""
    name = f"monitor_test_{uuid.uuid4().hex[:16]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
