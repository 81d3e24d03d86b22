"""Looking at one page: `monitor extract` (the cleaned text) and `monitor statements`."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from monitor.cli import main
from monitor.clock import to_iso
from monitor.config import FetchConfig
from monitor.errors import MonitorError
from monitor.extraction import extract_article
from monitor.fetching import HttpClient
from monitor.records import Article


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--jsonl", is_flag=True, help="One JSON object per input.")
@click.option("--explain", is_flag=True, help="Also show each dropped line and what dropped it.")
def extract(sources: tuple[str, ...], jsonl: bool, explain: bool) -> None:
    """Print the cleaned article text of pages (files or URLs).

    Example: monitor extract https://example.org/news/story.html --jsonl
    """
    failed = False
    for source, result in zip(sources, asyncio.run(extract_all(sources)), strict=True):
        if isinstance(result, MonitorError):
            click.echo(f"Error: {result}", err=True)
            failed = True
            continue
        click.echo(_render_article(source, result, jsonl=jsonl, explain=explain))
    if failed:
        sys.exit(1)


async def extract_all(sources: tuple[str, ...]) -> list[Article | MonitorError]:
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
    for source, result in zip(sources, asyncio.run(extract_all(sources)), strict=True):
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
                "organisation": found.organisation,
                "fragment": found.fragment,
            }
            if jsonl:
                click.echo(json.dumps(record, ensure_ascii=False))
            else:
                role = f" ({found.role})" if found.role else ""
                marks = [
                    mark
                    for mark, on in (
                        ("organisation", found.organisation),
                        ("fragment", found.fragment),
                        ("background", found.background),
                    )
                    if on
                ]
                when = "".join(f" [{mark}]" for mark in marks)
                click.echo(f"{found.speaker}{role}, {found.kind}{when}: “{found.quote}”")
    if failed:
        sys.exit(1)
