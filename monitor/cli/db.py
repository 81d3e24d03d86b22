"""`monitor db`: the database's schema and moving an installation to PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import main
from monitor.cli.common import config_for, config_option
from monitor.config import is_server_url
from monitor.errors import StorageError
from monitor.storage.copy import copy_database
from monitor.storage.postgres.connection import connect, migrate, redact
from monitor.storage.postgres.schema import VERSION as PG_VERSION
from monitor.storage.sqlite.connection import open_database
from monitor.storage.sqlite.schema import VERSION as SQLITE_VERSION


@main.group()
def db() -> None:
    """The database: create or upgrade its schema, copy SQLite to PostgreSQL."""


@db.command("upgrade")
@config_option
def upgrade(config_file: str | None) -> None:
    """Create the configured database's tables, or migrate them to this version.

    Replicas on PostgreSQL run this once before starting (the daemon also migrates at
    start, under a lock, so running it twice is harmless)."""
    database = config_for(config_file).database
    if is_server_url(database):
        url = str(database)
        conn = connect(url)
        try:
            before = migrate(conn, url)
        finally:
            conn.close()
        where, after = redact(url), PG_VERSION
    else:
        sqlite = open_database(database)
        before = -1  # SQLite migrates on open; its version is reported after
        sqlite.conn.close()
        where, after = str(database), SQLITE_VERSION
    if before == after:
        click.echo(f"{where}: schema already at version {after}")
    else:
        click.echo(f"{where}: schema at version {after}")


@db.command("copy")
@click.option("--from", "source", required=True, metavar="PATH", help="The SQLite file.")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    envvar="MONITOR_DATABASE_URL",
    help="postgresql:// URL of an empty database (default: $MONITOR_DATABASE_URL).",
)
def copy(source: str, target: str) -> None:
    """Copy an SQLite installation into an empty PostgreSQL database, every row."""
    if not is_server_url(target):
        raise StorageError(f"--to {target!r}: expected a postgresql:// URL")
    copied = copy_database(Path(source), target)
    for done in copied:
        click.echo(f"{done.table}: {done.rows} rows")
    total = sum(d.rows for d in copied)
    click.echo(f"copied {total} rows from {source} to {redact(target)}")
