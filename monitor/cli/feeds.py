"""`monitor feeds …`: feeds besides those in monitor.yaml, OPML in and out, retries."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from monitor.cli import main
from monitor.cli.common import config_for, with_store
from monitor.clock import utcnow
from monitor.config import config_path
from monitor.errors import ConfigError
from monitor.fetching import HttpClient

config_option = click.option("--config", "config_file", metavar="PATH", help="monitor.yaml to use.")


@main.group()
def feeds() -> None:
    """Add, list and remove feeds; import and export OPML."""


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="Name shown in alerts (default: the feed's own title).")
@config_option
def feeds_add(url: str, name: str | None, config_file: str | None) -> None:
    """Add a feed by its address or a site's home page (its feed is discovered).

    Example: monitor feeds add https://www.kyivpost.com/
    """
    from monitor.feeds.manage import discover

    config = config_for(config_file)

    async def find() -> tuple[str, str | None]:
        async with HttpClient(config.fetch) as http:
            return await discover(http, url, now=utcnow())

    feed_url, title = asyncio.run(find())
    if with_store(config, lambda s: s.add_feed(feed_url, name, 300.0, utcnow(), title)):
        click.echo(f"added {name or title or feed_url} <{feed_url}>")
    else:
        click.echo(f"already watched: <{feed_url}>")


@feeds.command("list")
@config_option
def feeds_list(config_file: str | None) -> None:
    """List the watched feeds, where each comes from, and its health.

    Example: monitor feeds list
    """
    for feed in with_store(config_for(config_file), lambda s: s.feed_status()):
        if feed["enabled"]:
            click.echo(f"{feed_state(feed):11} {feed['origin']:7} {feed['name']}  <{feed['url']}>")


def feed_state(feed: dict[str, object]) -> str:
    if not feed["enabled"]:
        return "disabled"
    if feed["gone"]:
        return "GONE"
    if feed["quarantined"]:
        return "QUARANTINED"
    return "FAILING" if feed["last_error"] else "ok"


@feeds.command("remove")
@click.argument("url")
@config_option
def feeds_remove(url: str, config_file: str | None) -> None:
    """Stop watching a feed added with `feeds add` or OPML.

    Example: monitor feeds remove https://example.org/feed.xml
    """
    outcome = with_store(config_for(config_file), lambda s: s.remove_feed(url))
    if outcome == "config":
        raise click.ClickException(
            f"{url} is listed in {config_path(config_file)}: remove it there"
        )
    if outcome == "missing":
        raise click.ClickException(f"{url} is not a watched feed (see `monitor feeds list`)")
    click.echo(f"removed <{url}>")


@feeds.command("retry")
@click.argument("urls", nargs=-1, metavar="[URL...]")
@config_option
def feeds_retry(urls: tuple[str, ...], config_file: str | None) -> None:
    """Poll quarantined feeds again (all of them, or these), after fixing the cause.

    Example: monitor feeds retry https://example.org/feed.xml
    """
    count = with_store(
        config_for(config_file), lambda s: s.requeue_feeds(list(urls) or None, utcnow())
    )
    click.echo(f"{count} quarantined feeds will be polled again.")


@feeds.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False))
@config_option
def feeds_import(opml_file: str, config_file: str | None) -> None:
    """Watch every feed of an OPML file (from another reader).

    Example: monitor feeds import subscriptions.opml
    """
    from monitor.feeds.opml import read_opml

    try:
        body = Path(opml_file).read_bytes()
    except OSError as e:
        raise ConfigError(
            f"{opml_file}: cannot read the file ({e.strerror}); check the path"
        ) from e
    found = read_opml(body, opml_file)

    async def add_all(store: object) -> int:
        added = 0
        for url, title in found:
            added += await store.add_feed(url, title, 300.0, utcnow(), None)  # type: ignore[attr-defined]
        return added

    added = with_store(config_for(config_file), add_all)
    click.echo(f"{added} feeds added, {len(found) - added} already watched, from {opml_file}")


@feeds.command("export")
@config_option
def feeds_export(config_file: str | None) -> None:
    """Print the watched feeds as OPML (for another reader, or a backup).

    Example: monitor feeds export > feeds.opml
    """
    from monitor.feeds.opml import write_opml

    status = with_store(config_for(config_file), lambda s: s.feed_status())
    click.echo(write_opml([(f["url"], f["name"]) for f in status if f["enabled"]]), nl=False)
