"""A PostgreSQL connection that takes the queries of storage/sql/ as they are written.

The shared queries use SQLite's placeholders (`?` and `:name`); psycopg wants `%s` and
`%(name)s`. `PgDatabase.execute` translates them (outside string literals, once per query
text) so that one set of queries serves both backends; what truly differs between the two
dialects is chosen in storage/sql/dialect.py, not rewritten here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

import psycopg
from psycopg.rows import dict_row

Params = Sequence[Any] | Mapping[str, Any] | None


class Cursor(Protocol):
    """What the shared queries read from a result (sqlite3's and psycopg's cursors)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


# A string literal (kept), a `?`, a `:name` that is not part of `::type`, or a bare `%`.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """SQLite placeholders to psycopg's (`?` -> `%s`, `:name` -> `%(name)s`, `%` -> `%%`)."""

    def swap(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("'"):
            return token
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({m.group(1)})s"

    return _TOKENS.sub(swap, sql)


def _params(params: Params) -> Params:
    """Booleans as 0/1: the schema keeps SQLite's integer flags on both backends."""
    if params is None:
        return None
    if isinstance(params, Mapping):
        return {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
    return [int(v) if isinstance(v, bool) else v for v in params]


class PgDatabase:
    """The part of sqlite_utils.Database the shared queries use, on a psycopg connection."""

    dialect = "postgresql"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(
        self, sql: str, parameters: Params = None, *, prepare: bool | None = None
    ) -> Cursor:
        """`prepare=False`: planned for these parameters every time (psycopg otherwise
        prepares a query run often, and a generic plan cannot see how selective a value is:
        a full-text query's words, say)."""
        return self.conn.execute(translate(sql), _params(parameters), prepare=prepare)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run `sql` once per row; returns the rows changed in all."""
        cur = self.conn.cursor()
        cur.executemany(
            translate(sql), [[int(v) if isinstance(v, bool) else v for v in r] for r in rows]
        )
        return max(cur.rowcount, 0)

    def query(self, sql: str, parameters: Params = None) -> Iterable[dict[str, Any]]:
        """Rows as dicts (sqlite_utils' `query`)."""
        cur = self.conn.cursor(row_factory=dict_row)
        cur.execute(translate(sql), _params(parameters))
        return cur.fetchall()

    def table_names(self) -> list[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]
