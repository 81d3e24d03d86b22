"""The history: `monitor search` (full-text, articles and statements) and `monitor export`
(articles, statements and alerts as JSON Lines or CSV)."""

from __future__ import annotations

import contextlib
import csv
import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from monitor.cli import main
from monitor.cli.common import config_for, config_option, with_store
from monitor.clock import to_iso, utcnow
from monitor.durations import parse_since
from monitor.records import SearchHit
from monitor.storage import Store
from monitor.storage.base import ExportKind
from monitor.storage.sql.history import EXPORT_COLUMNS, EXPORT_KINDS

EXPORT_PAGE = 1000
_FILES = {"article": "articles.csv", "statement": "statements.csv", "alert": "alerts.csv"}
_MARK = re.compile(r"«([^«»]*)»")


def _since(value: str | None, option: str = "--since") -> datetime | None:
    if value is None:
        return None
    try:
        return parse_since(value, utcnow())
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=option) from None


@main.command()
@click.argument("query")
@click.option("--since", metavar="DATE", help="Only since then: 30d, 12h, 2026-01-31.")
@click.option(
    "--speaker", metavar="NAME", help="Only this speaker's statements (a surname will do)."
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--jsonl", is_flag=True, help="One JSON object per hit.")
@config_option
def search(
    query: str,
    since: str | None,
    speaker: str | None,
    limit: int,
    jsonl: bool,
    config_file: str | None,
) -> None:
    """Search the stored articles (title, text) and statements (speaker, quote), best first.

    Words must all occur (whole words, any case and accents); "a phrase" in that order;
    word* as a prefix; a OR b; -word or NOT word to exclude. With --speaker and no words
    (QUERY ""), that speaker's statements, newest first.

    Example: monitor search '"bridge to membership"' --since 30d --speaker Blinken
    """
    after = _since(since)
    hits = with_store(
        config_for(config_file),
        lambda s: s.search(query, since=after, speaker=speaker, limit=limit),
    )
    if jsonl:
        for hit in hits:
            click.echo(json.dumps(_hit_record(hit), ensure_ascii=False))
        return
    if not hits:
        click.echo("no matches", err=True)
        return
    bold = sys.stdout.isatty()
    for hit in hits:
        click.echo(_hit_line(hit, bold=bold))


def _hit_record(hit: SearchHit) -> dict[str, Any]:
    return {
        "kind": hit.kind,
        "article_id": hit.article_id,
        "statement_id": hit.statement_id,
        "url": hit.url,
        "title": hit.title,
        "published": to_iso(hit.published),
        "sitename": hit.sitename,
        "speaker": hit.speaker,
        "quote": hit.quote,
        "snippet": hit.snippet,
        "rank": round(hit.rank, 6),
    }


def _hit_line(hit: SearchHit, *, bold: bool) -> str:
    """One line: date, what matched (a speaker's statement or an article's title), the
    snippet with the matched words marked, outlet and link."""
    day = hit.published.strftime("%Y-%m-%d") if hit.published else "----------"
    snippet = hit.snippet
    if bold:
        snippet = _MARK.sub(lambda m: click.style(m.group(1), bold=True), snippet)
    if hit.kind == "statement":
        what = f"{hit.speaker}: “{snippet}”"
    else:
        what = f"{hit.title or '(no title)'}: {snippet}"
    outlet = f" · {hit.sitename}" if hit.sitename else ""
    return f"{day}  {what}{outlet} · {hit.url}"


@main.command("export")
@click.option(
    "--since",
    metavar="DATE",
    help="Only since then: 30d, 2026-01-31 (default: everything). Articles by when they "
    "were fetched (statements with their article), alerts by when they were decided.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--output",
    "-o",
    metavar="PATH",
    help="jsonl: a file (default: standard output). csv: a folder (created if missing) "
    "that gets articles.csv, statements.csv and alerts.csv.",
)
@config_option
def export(since: str | None, fmt: str, output: str | None, config_file: str | None) -> None:
    """Write the stored articles, statements and alerts, oldest first.

    jsonl: one JSON object per line, each with a `type` (article, statement, alert).
    csv: one file per type in the --output folder (required), lists and objects as JSON.

    Example: monitor export --since 30d --format csv --output export/
    """
    start = _since(since) or datetime.min.replace(tzinfo=UTC)
    if fmt == "csv" and not output:
        raise click.UsageError(
            "--format csv writes three files (articles.csv, statements.csv, alerts.csv): "
            "give --output FOLDER"
        )
    config = config_for(config_file)
    if fmt == "csv":
        assert output is not None
        folder = Path(output)
        if folder.exists() and not folder.is_dir():
            raise click.BadParameter(
                f"{folder} is a file; csv needs a folder for its three files",
                param_hint="--output",
            )
        folder.mkdir(parents=True, exist_ok=True)
        counts = with_store(config, lambda s: _write_csv(s, start, folder))
        where = str(folder)
    else:
        with _opened(output) as out:
            counts = with_store(config, lambda s: _write_jsonl(s, start, out))
        where = output or "standard output"
    summary = ", ".join(f"{n} {kind}s" for kind, n in counts.items())
    click.echo(f"exported {summary} to {where}", err=True)


@contextlib.contextmanager
def _opened(output: str | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as out:
            yield out
    except OSError as e:
        raise click.FileError(output, e.strerror) from None


async def _records(
    store: Store, kind: ExportKind, since: datetime
) -> AsyncIterator[dict[str, Any]]:
    """Every record of one kind, a page at a time."""
    after = 0
    while True:
        page = await store.export(kind, since, after=after, limit=EXPORT_PAGE)
        for record in page:
            yield record
        if len(page) < EXPORT_PAGE:
            return
        after = int(page[-1]["id"])


async def _write_jsonl(store: Store, since: datetime, out: IO[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in EXPORT_KINDS:
        counts[kind] = 0
        async for record in _records(store, kind, since):
            out.write(json.dumps({"type": kind, **record}, ensure_ascii=False) + "\n")
            counts[kind] += 1
    out.flush()
    return counts


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


async def _write_csv(store: Store, since: datetime, folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in EXPORT_KINDS:
        counts[kind] = 0
        with open(folder / _FILES[kind], "w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS[kind])
            writer.writeheader()
            async for record in _records(store, kind, since):
                writer.writerow({k: _cell(v) for k, v in record.items()})
                counts[kind] += 1
    return counts
