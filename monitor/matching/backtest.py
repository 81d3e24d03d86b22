"""Backtesting: run rules over stored (or given) articles without alerting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import sqlite_utils

from monitor.clock import from_iso, to_iso
from monitor.matching.keywords import hit_phrases, term_regex
from monitor.matching.matcher import MatchResult, RuleSet, match_article
from monitor.records import Article, Hit
from monitor.statements import SpeakerList, extract_statements

BOLD, RESET = "\033[1;33m", "\033[0m"


def stored_articles(db: sqlite_utils.Database, since: datetime) -> Iterator[tuple[Article, str]]:
    """Articles fetched since `since`, oldest first, with their feed's name."""
    rows = db.execute(
        """SELECT a.url, a.title, a.text, a.published, a.author, a.sitename, a.language,
                  a.canonical_url, coalesce(f.name, f.title, f.url)
           FROM articles a JOIN entries e ON e.id = a.entry_id JOIN feeds f ON f.id = e.feed_id
           WHERE a.fetched_at >= ? ORDER BY a.id""",
        (to_iso(since),),
    )
    for url, title, text, published, author, sitename, language, canonical, feed in rows:
        article = Article(
            source=url,
            title=title,
            paragraphs=tuple(text.split("\n\n")),
            published=from_iso(published),
            author=author,
            sitename=sitename,
            language=language,
            canonical_url=canonical,
        )
        yield article, feed


def count_stored(db: sqlite_utils.Database, since: datetime) -> int:
    row = db.execute("SELECT count(*) FROM articles WHERE fetched_at >= ?", (to_iso(since),))
    return int(row.fetchone()[0])


def backtest(
    ruleset: RuleSet, articles: Iterator[tuple[Article, str | None]], speakers: SpeakerList
) -> Iterator[tuple[Article, MatchResult]]:
    """What the rules would have alerted on, article by article (nothing is sent)."""
    for article, feed in articles:
        statements = extract_statements(article.paragraphs, speakers)
        yield article, match_article(article, ruleset, statements, speakers, feed_name=feed)


def highlight(text: str, hits: Sequence[Hit], color: bool = True) -> str:
    """Mark the matched words in the terminal (bold yellow), or with ** when not a terminal."""
    start, end = (BOLD, RESET) if color else ("**", "**")
    for phrase in sorted(set(hit_phrases(hits)), key=len, reverse=True):
        text = term_regex(phrase).sub(lambda m: f"{start}{m.group()}{end}", text)
    return text
