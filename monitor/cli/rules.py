"""`monitor rules check` and `monitor rules test`: safe editing of watch rules."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from monitor.cli import main
from monitor.cli.common import config_for, with_store
from monitor.cli.inspect import extract_all
from monitor.clock import to_iso, utcnow
from monitor.config import config_path, load_config
from monitor.errors import MonitorError, RuleError
from monitor.matching import MatchResult
from monitor.records import Article, Match


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

    targets = [Path(p) for p in paths] or config_for(config_file).rule_paths
    errors, rule_count, file_count = check_rules(targets)
    if errors:
        raise RuleError("\n".join(errors))
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
    from monitor.durations import parse_duration
    from monitor.matching.backtest import backtest
    from monitor.matching.library import RuleLibrary
    from monitor.matching.rules import shipped_rules_dir
    from monitor.runtime.context import speakers_path
    from monitor.statements import load_speakers

    ruleset = RuleLibrary.load([Path(rule_file)]).ruleset
    config_file_path = config_path(config_file)
    config = load_config(config_file_path) if config_file_path.is_file() else None
    speakers = load_speakers(
        speakers_path(config) if config else shipped_rules_dir() / "speakers.yaml"
    )
    if article_source:
        result = asyncio.run(extract_all((article_source,)))[0]
        if isinstance(result, MonitorError):
            raise result
        _print_backtest(backtest(ruleset, iter([(result, None)]), speakers), total=1)
        return
    try:
        window = parse_duration(since)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from None
    start = utcnow() - window
    stored = with_store(config or load_config(config_file_path), lambda s: s.stored_articles(start))
    found = backtest(ruleset, iter([(a, f) for a, f in stored]), speakers)
    _print_backtest(found, total=len(stored))


def _print_backtest(found: Iterator[tuple[Article, MatchResult]], total: int) -> None:
    color = sys.stdout.isatty()
    hits = timeouts = 0
    with click.progressbar(
        found, length=total, label="articles", file=sys.stderr, show_pos=True
    ) as bar:
        for article, result in bar:
            for match in result.matches:
                hits += 1
                click.echo(_backtest_match(article, match, color))
            for rule in result.timed_out:
                timeouts += 1
                click.echo(
                    f"\n[{rule}] {article.title or article.source}\n"
                    f"  {article.source}\n"
                    "  a regex of the rule ran out of time here: not matched (simplify it)"
                )
    click.echo(f"\n{hits} alerts would have been sent for {total} articles.")
    if timeouts:
        click.echo(f"{timeouts} times a rule was not matched because its regex ran out of time.")


def _backtest_match(article: Article, match: Match, color: bool) -> str:
    from monitor.alerts.render import why
    from monitor.matching.backtest import highlight

    who = f"{match.statement.speaker}: " if match.statement else ""
    return (
        f"\n[{match.rule}] {article.title or article.source}\n"
        f"  {article.sitename or ''} {to_iso(article.published) or ''} "
        f"{article.source}\n"
        f"  {who}{highlight(match.sentence, match.hits, color)}\n"
        f"  matched: {why(match.hits)}"
    )
