"""The `monitor` command: thin, parses arguments, calls the library, prints.

Errors the user can act on are one line and exit 1, never a traceback. Each command lives
in the module named for what it works on; each is a thin layer over a library call.
"""

from __future__ import annotations

import click

from monitor import __version__
from monitor.errors import MonitorError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MonitorError as e:
            raise click.ClickException(str(e)) from None


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """monitor: watch news feeds, alert Slack once per new statement."""


from monitor.cli import admin, db, feeds, history, inspect, rules, run, web  # noqa: E402  (registers commands)

__all__ = ["admin", "db", "feeds", "history", "inspect", "main", "rules", "run", "web"]
