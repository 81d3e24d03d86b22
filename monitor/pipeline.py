"""The update pipeline: poll a feed -> new entries -> article -> matches -> outbox rows.

It does not decide when to run (the daemon does) nor how to deliver (alerts.delivery does).
Expected failures (FetchError, FeedParseError, ExtractionError) are recorded on the feed or
entry; anything else is a bug, logged with its traceback, recorded, and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, TypeVar

import sqlite_utils

from monitor.alerts import render_alert
from monitor.alerts.render import render_followup
from monitor.config import Config, FeedConfig
from monitor.errors import ExtractionError, FeedParseError, FetchError
from monitor.extraction import Boilerplate, extract_article
from monitor.feeds import parse_feed
from monitor.feeds.discover import feed_links, looks_like_html
from monitor.feeds.schedule import next_interval, publishing_gap
from monitor.fetching import HttpClient
from monitor.fetching.robots import RobotsCache
from monitor.matching import RuleSet, match_article
from monitor.matching.keywords import sentences
from monitor.matching.library import ReloadReport, RuleLibrary
from monitor.records import (
    Article,
    FetchResult,
    Match,
    ParsedFeed,
    SlackMessage,
    Statement,
    StoredEntry,
    StoredFeed,
)
from monitor.statements import SpeakerList, extract_statements
from monitor.statements.fingerprint import new_quotes
from monitor.statements.occasion import speaker_occasions
from monitor.storage import entries as entry_store
from monitor.storage import feeds as feed_store
from monitor.storage import outbox as outbox_store
from monitor.storage import stories as story_store
from monitor.storage.schema import transaction
from monitor.storage.stories import StoryAssignment

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = timedelta(minutes=5)
FULL_ARTICLE_WORDS = 250
T = TypeVar("T")


@dataclass(frozen=True)
class PollOutcome:
    feed: StoredFeed
    new_entries: int = 0
    not_modified: bool = False
    error: str | None = None


@dataclass
class Pipeline:
    db: sqlite_utils.Database
    http: HttpClient
    config: Config
    rules: RuleSet
    library: RuleLibrary | None
    boilerplate: Boilerplate
    speakers: SpeakerList
    now: Callable[[], datetime]
    _robots: RobotsCache | None = None

    @cached_property
    def configured_feeds(self) -> dict[str, FeedConfig]:
        """monitor.yaml's feeds by URL (looked up per feed and per entry)."""
        return {feed.url: feed for feed in self.config.feeds}

    def reload_rules(self) -> ReloadReport:
        """Re-read changed rule files; the pipeline switches to the new rule set at once."""
        if self.library is None:
            return ReloadReport(changed=False)
        report = self.library.reload()
        if report.changed:
            self.rules = self.library.ruleset
        return report

    async def poll_feeds(self, feeds: Sequence[StoredFeed]) -> list[PollOutcome]:
        return await _bounded(self.config.fetch.concurrency, [self.poll_feed(f) for f in feeds])

    async def poll_feed(self, feed: StoredFeed) -> PollOutcome:
        """Fetch and parse one feed; store its new entries; record success or the error."""
        retry, gone = None, False
        try:
            return await self._poll(feed)
        except FetchError as e:
            error, retry, gone = str(e), e.retry_after, e.status == 410
            log.warning("feed %s: %s", feed.display_name, error)
        except FeedParseError as e:
            error = str(e)
            log.warning("feed %s: %s", feed.display_name, error)
        except Exception as e:
            error = f"internal error: {type(e).__name__}: {e}"
            log.exception("feed %s: unexpected failure (a bug, please report it)", feed.url)
        if gone:
            error = f"{error} (410 Gone: no longer polled; remove it from monitor.yaml)"
        feed_store.record_failure(self.db, feed.id, self.now(), error, retry_after=retry, gone=gone)
        return PollOutcome(feed=feed, error=error)

    async def _poll(self, feed: StoredFeed) -> PollOutcome:
        result = await self.http.fetch(
            feed.poll_url, etag=feed.etag, last_modified=feed.last_modified, trusted=True
        )
        if result.moved_to:
            feed_store.record_move(self.db, feed.id, result.moved_to)
            log.info("feed %s moved permanently to %s", feed.display_name, result.moved_to)
        if result.status == "not_modified":
            feed_store.record_not_modified(self.db, feed.id, self.now())
            return PollOutcome(feed=feed, not_modified=True)
        parsed, result = await self._parse_or_discover(feed, result)
        new = entry_store.add_entries(self.db, feed.id, parsed.entries, self.now())
        feed_store.record_success(
            self.db,
            feed.id,
            self.now(),
            etag=result.etag,
            last_modified=result.last_modified,
            title=parsed.title,
        )
        self._reschedule(feed, parsed, result.max_age)
        log.info("feed %s: %d entries, %d new", feed.display_name, len(parsed.entries), new)
        return PollOutcome(feed=feed, new_entries=new)

    async def _parse_or_discover(
        self, feed: StoredFeed, result: FetchResult
    ) -> tuple[ParsedFeed, FetchResult]:
        """Parse the feed; a web page instead of a feed is searched for the feed it announces
        (`<link rel="alternate">`), which then becomes the feed's address."""
        try:
            parsed = await asyncio.to_thread(
                parse_feed, result.body, url=result.url, headers=result.headers
            )
            return parsed, result
        except FeedParseError:
            if not looks_like_html(result.body, result.headers.get("content-type")):
                raise
            links = feed_links(result.body, result.url)
            if not links:
                raise
        found = await self.http.fetch(links[0], trusted=False)
        parsed = await asyncio.to_thread(
            parse_feed, found.body, url=found.url, headers=found.headers
        )
        feed_store.record_move(self.db, feed.id, found.url)
        log.info(
            "feed %s: a web page; using the feed it announces, %s", feed.display_name, found.url
        )
        return parsed, found

    def _reschedule(self, feed: StoredFeed, parsed: ParsedFeed, max_age: float | None) -> None:
        """Next poll from how often the feed publishes, within the configured interval and
        `fetch.max_interval`, pushed later by its ttl / sy:updatePeriod / max-age."""
        configured = self.configured_feeds.get(feed.url)
        base = configured.interval if configured else DEFAULT_INTERVAL
        dates = [e.published for e in parsed.entries if e.published is not None]
        interval = next_interval(
            base,
            self.config.fetch.max_interval,
            gap=publishing_gap(dates),
            ttl=parsed.min_interval,
            max_age=max_age,
        )
        if interval != base:
            feed_store.reschedule(self.db, feed.id, self.now() + interval)

    async def process_pending(self) -> int:
        """Process every pending entry; return how many alerts were queued."""
        pending = entry_store.pending_entries(self.db, self.now())
        queued = await _bounded(
            self.config.fetch.concurrency, [self.process_entry(e) for e in pending]
        )
        return sum(queued)

    async def process_entry(self, entry: StoredEntry) -> int:
        """Get the article (from the feed or the page), extract, match, queue alerts."""
        if not entry.url and not entry.content:
            entry_store.mark_done(self.db, entry.id, "entry has no link and no content")
            return 0
        if entry.url and entry_store.already_processed_url(self.db, entry):
            entry_store.mark_done(self.db, entry.id, "same article already seen in another feed")
            return 0
        try:
            article = await self._entry_article(entry)
        except (FetchError, ExtractionError) as e:
            log.warning("entry %s (%s): %s", entry.url, entry.feed_name, e)
            entry_store.record_entry_failure(self.db, entry, str(e), self.now())
            return 0
        except Exception as e:
            log.exception("entry %s: unexpected failure (a bug, please report it)", entry.url)
            entry_store.record_entry_failure(self.db, entry, f"internal error: {e!r}", self.now())
            return 0
        if article is None:
            return 0
        if entry.published is not None:  # feeds give the time; pages often only the day
            article = replace(article, published=entry.published)
        if article.title is None and entry.title:  # the feed's own copy has no <title>
            article = replace(article, title=entry.title)
        statements = extract_statements(article.paragraphs, self.speakers)
        matches = match_article(
            article, self.rules, statements, self.speakers, feed_name=entry.feed_name
        )
        return self._store(entry, article, statements, matches)

    async def _entry_article(self, entry: StoredEntry) -> Article | None:
        """`fetch_article`: the feed's own copy when full (auto) or always (never), else the
        page (robots.txt permitting). None: nothing to process, the entry is done."""
        feed = self._feed_config(entry)
        mode = feed.fetch_article if feed else "auto"
        carried = await self._carried_article(entry) if mode != "always" else None
        if mode == "never" or (carried is not None and _is_full(carried)) or not entry.url:
            if carried is None:
                entry_store.mark_done(self.db, entry.id, "the feed carries no article text")
            return carried
        if (feed is None or feed.robots) and not await self.robots.allowed(entry.url):
            entry_store.mark_done(self.db, entry.id, "skipped: the site's robots.txt disallows it")
            log.info("entry %s: robots.txt disallows fetching it", entry.url)
            return None
        return await self._article(entry.url)

    async def _carried_article(self, entry: StoredEntry) -> Article | None:
        if not entry.content:
            return None
        page = f"<html><body><article>{entry.content}</article></body></html>".encode()
        try:
            return await asyncio.to_thread(
                extract_article,
                page,
                url=entry.url or entry.feed_url,
                boilerplate=self.boilerplate,
            )
        except ExtractionError:
            return None

    def _feed_config(self, entry: StoredEntry) -> FeedConfig | None:
        return self.configured_feeds.get(entry.feed_url)

    @property
    def robots(self) -> RobotsCache:
        if self._robots is None:
            self._robots = RobotsCache(self.http, self.config.fetch.user_agent)
        return self._robots

    async def _article(self, url: str) -> Article:
        result = await self.http.fetch(url)
        return await asyncio.to_thread(
            extract_article,
            result.body,
            url=result.url,
            headers=result.headers,
            boilerplate=self.boilerplate,
        )

    def _store(
        self,
        entry: StoredEntry,
        article: Article,
        statements: Sequence[Statement],
        matches: Sequence[Match],
    ) -> int:
        """Article, statements, story, matches and alerts: one transaction, all or nothing."""
        now = self.now()
        with transaction(self.db.conn) as conn:
            article_id = entry_store.insert_article(conn, entry.id, article, now)
            said_at = article.published or now
            occasions = speaker_occasions(
                sentences(article.paragraphs), {s.speaker for s in statements}, said_at.date()
            )
            story = story_store.assign_story(
                conn,
                article_id,
                statements,
                said_at,
                self.config.statements.window,
                now,
                occasions,
            )
            queued = 0
            for match in matches:
                parent, message = self._message(conn, article, entry, match, story, statements)
                held = parent is None and over_throttle(conn, match, now)
                alert_id = entry_store.insert_alert(
                    conn,
                    article_id,
                    match,
                    message,
                    now,
                    story_id=story.story_id,
                    parent_id=parent,
                    held=held,
                )
                queued += alert_id is not None
            entry_store.mark_done(conn, entry.id)
        return queued

    def _message(
        self,
        conn: sqlite3.Connection,
        article: Article,
        entry: StoredEntry,
        match: Match,
        story: StoryAssignment,
        statements: Sequence[Statement],
    ) -> tuple[int | None, SlackMessage | None]:
        """A top-level alert for a new story, else a thread reply (or nothing, if the rule
        says `followups: ignore`)."""
        outlet = article.sitename or entry.feed_name
        channel = match.channel or self.config.slack.channel
        parent = None
        if story.story_id is not None and not story.is_new:
            parent = story_store.root_alert(conn, story.story_id, match.rule)
        if parent is None:
            return None, render_alert(article, match, outlet=outlet, channel=channel)
        if match.followups == "ignore":
            return parent, None
        quotes = new_quotes(statements, story.known_quotes)
        return parent, render_followup(
            article, match, outlet=outlet, channel=channel, new_quotes=quotes
        )


def over_throttle(conn: sqlite3.Connection, match: Match, now: datetime) -> bool:
    """The rule already sent its `throttle` alerts this hour: this one waits for the digest."""
    if match.throttle is None:
        return False
    return outbox_store.alerts_in_last_hour(conn, match.rule, now) >= match.throttle


def _is_full(article: Article) -> bool:
    """A feed's copy is the full article, not a teaser, when it is this long."""
    return len(article.text.split()) >= FULL_ARTICLE_WORDS


async def _bounded(limit: int, coroutines: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines concurrently, at most `limit` at a time, keeping their order."""
    semaphore = asyncio.Semaphore(limit)

    async def run(coroutine: Coroutine[Any, Any, T]) -> T:
        async with semaphore:
            return await coroutine

    return list(await asyncio.gather(*(run(c) for c in coroutines)))
