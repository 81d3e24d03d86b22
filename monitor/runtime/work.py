"""What a worker process does: the CPU work of one item, as pure functions over messages.

The processors send tasks (an article page to analyse, a feed to parse) to worker processes
(runtime/pool.py); a worker answers each with a result or a TaskError. trafilatura and lxml
run only here, one task at a time per process: in threads they crash the process natively
(trafilatura issues 840 and 925), and in the event loop they would stall every stage.
"""

from __future__ import annotations

import signal
import traceback
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing.connection import Connection

from monitor.clock import plausible
from monitor.errors import MonitorError, SourceError
from monitor.extraction import Boilerplate, extract_article
from monitor.feeds import parse_feed
from monitor.feeds.discover import feed_links, looks_like_html
from monitor.matching import RuleSet, match_article
from monitor.matching.keywords import sentences
from monitor.matching.rules import Rule
from monitor.records import Analysis, Article, ParsedFeed, StoredEntry
from monitor.statements import SpeakerList, extract_statements
from monitor.statements.fingerprint import content_words
from monitor.statements.occasion import dated

FULL_ARTICLE_WORDS = 250  # a feed's own copy this long is the article, not a teaser


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker needs, sent once when it starts."""

    boilerplate: Boilerplate
    speakers: SpeakerList
    regex_timeout: float = 1.0


@dataclass(frozen=True)
class SetRules:
    """A new rule set (after a reload); no answer is sent."""

    generation: int
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AnalyseTask:
    """An entry's article, as a page or as the copy its feed carries."""

    entry: StoredEntry
    body: bytes
    url: str
    now: datetime
    headers: dict[str, str] | None = None
    need_full: bool = False  # the feed's own copy: shorter than a full article is NotFull


@dataclass(frozen=True)
class ParseFeedTask:
    body: bytes
    url: str
    now: datetime
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class NotFull:
    """The feed's copy is a teaser: fetch the page."""

    words: int


@dataclass(frozen=True)
class FeedOrLinks:
    """A parsed feed; or, for a web page served instead of one, the feeds it announces."""

    feed: ParsedFeed | None
    links: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class TaskError:
    """A task that failed: `expected` for bad input (the message says what), else a bug."""

    expected: bool
    message: str
    reason: str = ""  # for bad input: what is wrong, without the URL


Task = AnalyseTask | ParseFeedTask
Result = Analysis | NotFull | FeedOrLinks | TaskError


@dataclass
class WorkerState:
    setup: WorkerSetup
    rules: RuleSet
    generation: int = -1


def analyse(task: AnalyseTask, state: WorkerState) -> Analysis | NotFull:
    """Extract the article, find who said what, and match every rule."""
    entry = task.entry
    article = extract_article(
        task.body, url=task.url, headers=task.headers, boilerplate=state.setup.boilerplate
    )
    if task.need_full and len(article.text.split()) < FULL_ARTICLE_WORDS:
        return NotFull(words=len(article.text.split()))
    notes = _date_notes(article, task.now)
    article = _with_entry_facts(article, entry, task.now)
    found = extract_statements(article.paragraphs, state.setup.speakers)
    said = (article.published or task.now).date()
    statements = tuple(
        replace(s, words=content_words(s.quote))
        for s in dated(found, sentences(article.paragraphs), said)
    )
    result = match_article(
        article,
        state.rules,
        statements,
        state.setup.speakers,
        feed_name=entry.feed_name,
        regex_timeout=state.setup.regex_timeout,
    )
    return Analysis(
        article=article,
        statements=statements,
        matches=result.matches,
        timed_out=result.timed_out,
        notes=notes,
    )


def _with_entry_facts(article: Article, entry: StoredEntry, now: datetime) -> Article:
    """The feed's date (pages often give only the day) and title (its copy has no <title>);
    a date beyond tomorrow is unknown, not a reason to fail."""
    published = plausible(entry.published, now) or plausible(article.published, now)
    return replace(article, published=published, title=article.title or entry.title)


def _date_notes(article: Article, now: datetime) -> tuple[str, ...]:
    if article.published is not None and plausible(article.published, now) is None:
        return (f"the page's date {article.published.isoformat()} is implausible: unknown",)
    return ()


def parse(task: ParseFeedTask) -> FeedOrLinks:
    """Parse a feed; a web page in its place is searched for the feeds it announces."""
    try:
        return FeedOrLinks(parse_feed(task.body, url=task.url, headers=task.headers, now=task.now))
    except MonitorError as e:
        content_type = (task.headers or {}).get("content-type")
        if not looks_like_html(task.body, content_type):
            raise
        links = tuple(feed_links(task.body, task.url))
        if not links:
            raise
        return FeedOrLinks(None, links=links, error=str(e))


def handle(task: Task, state: WorkerState) -> Result:
    try:
        if isinstance(task, AnalyseTask):
            return analyse(task, state)
        return parse(task)
    except SourceError as e:
        return TaskError(expected=True, message=str(e), reason=e.reason)
    except MonitorError as e:
        return TaskError(expected=True, message=str(e), reason=str(e))
    except Exception as e:  # a bug: keep the worker, report the item
        where = traceback.extract_tb(e.__traceback__)[-1]
        return TaskError(
            expected=False,
            message=f"{type(e).__name__}: {e} (at {where.filename}:{where.lineno})",
        )


def worker_main(conn: Connection, setup: WorkerSetup) -> None:
    """A worker process: answer tasks until the pipe closes (the parent is gone)."""
    # Ctrl-C or a SIGTERM to the whole group is the parent's to handle: it stops taking work,
    # then stops its workers; a worker whose parent is gone sees the pipe close and exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    state = WorkerState(setup=setup, rules=RuleSet([]))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if isinstance(message, SetRules):
            state.rules = RuleSet(list(message.rules))
            state.generation = message.generation
            continue
        result = handle(message, state)
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return
