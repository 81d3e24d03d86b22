"""The `monitor` command: thin, parses arguments, calls the library, prints.

Errors the user can act on are one line and exit 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor import __version__
from monitor.alerts import ConsoleSender, Sender, SlackSender
from monitor.alerts.senders import WebhookSender
from monitor.clock import to_iso
from monitor.config import Config, FetchConfig, config_path, load_config, slack_token
from monitor.errors import MonitorError
from monitor.extraction import extract_article
from monitor.fetching import HttpClient
from monitor.records import Article, Match

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger("monitor")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("apscheduler", "trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


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


def _sender(config: Config) -> Sender:
    token = slack_token(config)
    webhook = os.environ.get("SLACK_WEBHOOK_URL", "").strip()
    if token is None and webhook:
        log.info("no bot token: alerts go through the incoming webhook (no threads)")
        return WebhookSender(
            webhook, config.slack.webhook_followups, timeout=config.fetch.timeout.total_seconds()
        )
    if token is None:
        log.info("no SLACK_BOT_TOKEN or slack.token_file: alerts are printed to the console")
        return ConsoleSender()
    return SlackSender(token, config.slack.api_url, timeout=config.fetch.timeout.total_seconds())


@main.command()
@click.option(
    "--config",
    "config_file",
    metavar="PATH",
    help="monitor.yaml to use (default: $MONITOR_CONFIG or ./monitor.yaml).",
)
@click.option(
    "--once",
    is_flag=True,
    help="Poll every feed once, process everything, deliver every alert, exit.",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def run(config_file: str | None, once: bool, verbose: bool) -> None:
    """Run the daemon (or one cycle with --once).

    Example: SLACK_BOT_TOKEN=xoxb-... monitor run --config /etc/monitor/monitor.yaml
    """
    from monitor.daemon import run_forever, run_once

    _setup_logging(verbose)
    config = load_config(config_path(config_file))
    sender = _sender(config)
    if not once:
        asyncio.run(run_forever(config, sender))
        return
    report = asyncio.run(run_once(config, sender))
    log.info(
        "done: %d feeds polled (%d failed), %d new entries, %d alerts queued, %d sent, %d pending",
        report.feeds_polled,
        report.feeds_failed,
        report.new_entries,
        report.alerts_queued,
        report.alerts_sent,
        report.alerts_pending,
    )


@main.command()
def demo() -> None:
    """Show the whole pipeline on sample articles: no network, no Slack needed.

    Example: monitor demo
    """
    from monitor.demo import run_demo

    _setup_logging(verbose=False)
    logging.getLogger("monitor").setLevel(logging.WARNING)
    click.echo("Serving 5 sample news articles from a local feed on 127.0.0.1 ...\n")
    first, second = asyncio.run(run_demo(ConsoleSender()))
    click.echo(
        f"First poll: {first.new_entries} new articles, {first.alerts_queued} alerts "
        f"({first.alerts_sent} delivered to the console).\n"
        f"Second poll: {second.new_entries} new articles, {second.alerts_queued} alerts: "
        "nothing is alerted twice.\n\n"
        "Next: write a monitor.yaml (see deploy/monitor.yaml), export SLACK_BOT_TOKEN, "
        "and run `monitor run`."
    )


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--jsonl", is_flag=True, help="One JSON object per input.")
@click.option("--explain", is_flag=True, help="Also show each dropped line and what dropped it.")
def extract(sources: tuple[str, ...], jsonl: bool, explain: bool) -> None:
    """Print the cleaned article text of pages (files or URLs).

    Example: monitor extract https://example.org/news/story.html --jsonl
    """
    failed = False
    for source, result in zip(sources, asyncio.run(_extract_all(sources)), strict=True):
        if isinstance(result, MonitorError):
            click.echo(f"Error: {result}", err=True)
            failed = True
            continue
        click.echo(_render_article(source, result, jsonl=jsonl, explain=explain))
    if failed:
        sys.exit(1)


async def _extract_all(sources: tuple[str, ...]) -> list[Article | MonitorError]:
    results: list[Article | MonitorError] = []
    async with HttpClient(FetchConfig(allow_private_addresses=True)) as http:
        for source in sources:
            try:
                results.append(await _extract_one(http, source))
            except MonitorError as e:
                results.append(e)
    return results


async def _extract_one(http: HttpClient, source: str) -> Article:
    if source.startswith(("http://", "https://")):
        result = await http.fetch(source, trusted=True)
        return extract_article(result.body, url=result.url, headers=result.headers)
    path = Path(source)
    try:
        body = path.read_bytes()
    except OSError as e:
        raise MonitorError(f"{source}: cannot read the file ({e.strerror})") from e
    return extract_article(body, url=path.resolve().as_uri())


def _render_article(source: str, article: Article, *, jsonl: bool, explain: bool) -> str:
    dropped = [
        {"text": d.text, "pass": d.cleaning_pass, "pattern": d.pattern} for d in article.dropped
    ]
    if jsonl:
        record: dict[str, object] = {
            "source": source,
            "title": article.title,
            "text": article.text,
            "published": to_iso(article.published),
            "author": article.author,
            "sitename": article.sitename,
            "language": article.language,
            "canonical_url": article.canonical_url,
        }
        if explain:
            record["dropped"] = dropped
        return json.dumps(record, ensure_ascii=False)
    lines = [f"# {article.title or source}", "", article.text]
    if explain:
        lines += ["", "--- dropped ---"]
        lines += [f"[{d['pass']} / {d['pattern']}] {d['text']}" for d in dropped]
    return "\n".join(lines) + "\n"


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--jsonl", is_flag=True, help="One JSON object per statement.")
@click.option(
    "--speakers",
    "speakers_file",
    metavar="PATH",
    help="Speaker list (default: the shipped rules/speakers.yaml).",
)
def statements(sources: tuple[str, ...], jsonl: bool, speakers_file: str | None) -> None:
    """Print who said what in pages (files or URLs), to check attribution.

    Example: monitor statements https://example.org/news/story.html --jsonl
    """
    from monitor.matching.rules import shipped_rules_dir
    from monitor.statements import extract_statements, load_speakers

    speakers = load_speakers(
        Path(speakers_file) if speakers_file else shipped_rules_dir() / "speakers.yaml"
    )
    failed = False
    for source, result in zip(sources, asyncio.run(_extract_all(sources)), strict=True):
        if isinstance(result, MonitorError):
            click.echo(f"Error: {result}", err=True)
            failed = True
            continue
        for found in extract_statements(result.paragraphs, speakers):
            record = {
                "source": source,
                "speaker": found.speaker,
                "role": found.role,
                "quote": found.quote,
                "kind": found.kind,
                "sentence": found.sentence,
                "background": found.background,
            }
            if jsonl:
                click.echo(json.dumps(record, ensure_ascii=False))
            else:
                role = f" ({found.role})" if found.role else ""
                when = " [background]" if found.background else ""
                click.echo(f"{found.speaker}{role}, {found.kind}{when}: “{found.quote}”")
    if failed:
        sys.exit(1)


@main.group()
def rules() -> None:
    """Check watch rules, and see what they would have alerted on."""


@rules.command("check")
@click.argument("paths", nargs=-1, metavar="[PATH...]")
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml (for its rules path).")
def rules_check(paths: tuple[str, ...], config_file: str | None) -> None:
    """Validate rule files: every error with file, line, column and a hint; exit 1 if any.

    Example: monitor rules check rules/
    """
    from monitor.matching.library import check_rules

    targets = [Path(p) for p in paths] or load_config(config_path(config_file)).rule_paths
    errors, rule_count, file_count = check_rules(targets)
    for error in errors:
        click.echo(error, err=True)
    if errors:
        sys.exit(1)
    click.echo(f"{rule_count} rules in {file_count} files: OK")


@rules.command("test")
@click.argument("rule_file", metavar="RULE_FILE")
@click.option("--since", default="7d", show_default=True, help="How far back in stored articles.")
@click.option(
    "--article",
    "article_source",
    metavar="PATH_OR_URL",
    help="Test one article (a file or URL) instead of the stored ones.",
)
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml (for the database).")
def rules_test(
    rule_file: str, since: str, article_source: str | None, config_file: str | None
) -> None:
    """Show what RULE_FILE would have alerted on, without alerting.

    Example: monitor rules test rules/ukraine-nato.yaml --since 30d
    """
    from monitor.clock import utcnow
    from monitor.daemon import speakers_path
    from monitor.durations import parse_duration
    from monitor.matching.backtest import backtest, count_stored, stored_articles
    from monitor.matching.library import RuleLibrary
    from monitor.matching.rules import shipped_rules_dir
    from monitor.statements import load_speakers

    ruleset = RuleLibrary.load([Path(rule_file)]).ruleset
    config_file_path = config_path(config_file)
    config = load_config(config_file_path) if config_file_path.is_file() else None
    speakers = load_speakers(
        speakers_path(config) if config else shipped_rules_dir() / "speakers.yaml"
    )
    if article_source:
        result = asyncio.run(_extract_all((article_source,)))[0]
        if isinstance(result, MonitorError):
            raise result
        found = backtest(ruleset, iter([(result, None)]), speakers)
        _print_backtest(found, total=1)
        return
    try:
        window = parse_duration(since)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from None
    from monitor.storage import open_database

    db = open_database((config or load_config(config_file_path)).database)
    start = utcnow() - window
    _print_backtest(
        backtest(ruleset, stored_articles(db, start), speakers), total=count_stored(db, start)
    )


def _print_backtest(found: Iterator[tuple[Article, list[Match]]], total: int) -> None:
    from monitor.matching.backtest import highlight

    color = sys.stdout.isatty()
    hits = 0
    with click.progressbar(
        found, length=total, label="articles", file=sys.stderr, show_pos=True
    ) as bar:
        for article, matches in bar:
            for match in matches:
                hits += 1
                who = f"{match.statement.speaker}: " if match.statement else ""
                click.echo(
                    f"\n[{match.rule}] {article.title or article.source}\n"
                    f"  {article.sitename or ''} {to_iso(article.published) or ''} "
                    f"{article.source}\n"
                    f"  {who}{highlight(match.sentence, match.terms, color)}\n"
                    f"  matched: {', '.join(match.terms)}"
                )
    click.echo(f"\n{hits} alerts would have been sent for {total} articles.")


@main.group()
def feeds() -> None:
    """Add, list and remove feeds; import and export OPML."""


def _feeds_db(config_file: str | None) -> tuple[Config, sqlite_utils.Database]:
    from monitor.storage import open_database

    config = load_config(config_path(config_file))
    return config, open_database(config.database)


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="Name shown in alerts (default: the feed's own title).")
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml to use.")
def feeds_add(url: str, name: str | None, config_file: str | None) -> None:
    """Add a feed by its address or a site's home page (its feed is discovered).

    Example: monitor feeds add https://www.kyivpost.com/
    """
    from monitor.clock import utcnow
    from monitor.feeds.manage import discover
    from monitor.storage.feeds import add_feed

    config, db = _feeds_db(config_file)

    async def find() -> tuple[str, str | None]:
        async with HttpClient(config.fetch) as http:
            return await discover(http, url)

    feed_url, title = asyncio.run(find())
    interval = 300.0
    if add_feed(db, feed_url, name, interval, utcnow(), title=title):
        click.echo(f"added {name or title or feed_url} <{feed_url}>")
    else:
        click.echo(f"already watched: <{feed_url}>")


@feeds.command("list")
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml to use.")
def feeds_list(config_file: str | None) -> None:
    """List the watched feeds, where each comes from, and its health.

    Example: monitor feeds list
    """
    from monitor.storage.feeds import feed_status

    _, db = _feeds_db(config_file)
    for feed in feed_status(db):
        if feed["enabled"]:
            state = "GONE" if feed["gone"] else ("FAILING" if feed["last_error"] else "ok")
            click.echo(f"{state:8} {feed['origin']:7} {feed['name']}  <{feed['url']}>")


@feeds.command("remove")
@click.argument("url")
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml to use.")
def feeds_remove(url: str, config_file: str | None) -> None:
    """Stop watching a feed added with `feeds add` or OPML.

    Example: monitor feeds remove https://example.org/feed.xml
    """
    from monitor.storage.feeds import remove_feed

    _, db = _feeds_db(config_file)
    outcome = remove_feed(db, url)
    if outcome == "config":
        raise click.ClickException(
            f"{url} is listed in {config_path(config_file)}: remove it there"
        )
    if outcome == "missing":
        raise click.ClickException(f"{url} is not a watched feed (see `monitor feeds list`)")
    click.echo(f"removed <{url}>")


@feeds.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml to use.")
def feeds_import(opml_file: str, config_file: str | None) -> None:
    """Watch every feed of an OPML file (from another reader).

    Example: monitor feeds import subscriptions.opml
    """
    from monitor.clock import utcnow
    from monitor.feeds.opml import read_opml
    from monitor.storage.feeds import add_feed

    _, db = _feeds_db(config_file)
    found = read_opml(Path(opml_file).read_bytes(), opml_file)
    added = sum(add_feed(db, url, title, 300.0, utcnow()) for url, title in found)
    click.echo(f"{added} feeds added, {len(found) - added} already watched, from {opml_file}")


@feeds.command("export")
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml to use.")
def feeds_export(config_file: str | None) -> None:
    """Print the watched feeds as OPML (for another reader, or a backup).

    Example: monitor feeds export > feeds.opml
    """
    from monitor.feeds.opml import write_opml
    from monitor.storage.feeds import feed_status

    _, db = _feeds_db(config_file)
    rows = [(f["url"], f["name"]) for f in feed_status(db) if f["enabled"]]
    click.echo(write_opml(rows), nl=False)


@main.group()
def alerts() -> None:
    """Manage the alert outbox."""


@alerts.command("retry")
@click.argument("alert_ids", nargs=-1, type=int, metavar="[ID...]")
@click.option("--failed", "all_failed", is_flag=True, help="Re-queue every failed alert.")
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml to use.")
def alerts_retry(alert_ids: tuple[int, ...], all_failed: bool, config_file: str | None) -> None:
    """Re-queue failed alerts after fixing their cause (invite the bot, fix the token…).

    Example: monitor alerts retry --failed
    """
    from monitor.storage import open_database
    from monitor.storage.outbox import requeue

    if not alert_ids and not all_failed:
        raise click.UsageError("name alert IDs (see `monitor status`) or pass --failed")
    db = open_database(load_config(config_path(config_file)).database)
    count = requeue(db, None if all_failed else list(alert_ids))
    click.echo(f"{count} failed alerts re-queued; the daemon (or `monitor run --once`) sends them.")


@main.command()
@click.option("--config", "config_file", metavar="PATH", help="monitor.yaml to use.")
def status(config_file: str | None) -> None:
    """Show each feed's health and the alert outbox.

    Example: monitor status --config /etc/monitor/monitor.yaml
    """
    from monitor.clock import utcnow
    from monitor.storage import open_database
    from monitor.storage.feeds import feed_status
    from monitor.storage.outbox import failed_alerts, oldest_pending, outbox_counts

    config = load_config(config_path(config_file))
    db = open_database(config.database)
    for line in _status_lines(feed_status(db), outbox_counts(db)):
        click.echo(line)
    if (since := oldest_pending(db)) is not None:
        minutes = (utcnow() - since).total_seconds() / 60
        click.echo(f"  oldest undelivered alert waiting for {minutes:.0f} min")
    for alert_id, channel, reason in failed_alerts(db):
        click.echo(f"  failed alert #{alert_id} to {channel}: {reason}")


def _status_lines(feeds: list[dict[str, object]], counts: dict[str, int]) -> Iterator[str]:
    for feed in feeds:
        state = (
            "disabled"
            if not feed["enabled"]
            else "GONE"
            if feed["gone"]
            else "FAILING"
            if feed["last_error"]
            else "ok"
        )
        yield f"{state:8} {feed['name']}  <{feed['url']}>"
        yield (
            f"         last success: {feed['last_success_at'] or 'never'}, next poll: "
            f"{feed['next_poll_at'] or '-'}, consecutive failures: "
            f"{feed['consecutive_failures']}"
        )
        if feed["fetch_url"]:
            yield f"         moved permanently to <{feed['fetch_url']}>"
        if feed["last_error"]:
            yield f"         last error: {feed['last_error']}"
    yield (f"alerts: {counts['pending']} pending, {counts['sent']} sent, {counts['failed']} failed")
