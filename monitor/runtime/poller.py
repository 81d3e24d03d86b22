"""The poller: claims due feeds and stores their new entries.

A periodic job (APScheduler) calls `tick`; each claimed feed is polled in a task of its own,
at most `fetch.concurrency` at once, so one slow feed delays no other. A feed's parse runs
in the worker pool. Expected failures (HTTP, parse) back the feed off; a bug counts
towards its quarantine. When unprocessed entries pile up beyond `runtime.backlog`, polling
pauses until the processors catch up.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.errors import FeedParseError, FetchError
from monitor.feeds.schedule import next_interval, publishing_gap
from monitor.records import FetchResult, ParsedFeed, StoredFeed
from monitor.runtime.context import Runtime, finish_within
from monitor.runtime.work import FeedOrLinks, ParseFeedTask, TaskError

log = logging.getLogger(__name__)
JITTER = 0.1  # a feed's next poll moves by its interval ± 10%


@dataclass(frozen=True)
class PollOutcome:
    feed: StoredFeed
    new_entries: int = 0
    error: str | None = None


class Poller:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self._running: set[asyncio.Task[PollOutcome]] = set()
        self._paused = False

    @property
    def busy(self) -> int:
        return len(self._running)

    async def tick(
        self, *, every_feed_but: set[int] | None = None
    ) -> list[asyncio.Task[PollOutcome]]:
        """Claim the feeds that are due and start polling them, at most `fetch.concurrency`
        at once: as polls finish, more due feeds are claimed, until none is left. With
        `every_feed_but` (run --once), every feed not in it, due or not, but those backing
        off; the feeds claimed are added to it. Returns the tasks."""
        started: list[asyncio.Task[PollOutcome]] = []
        if await self._backlogged():
            return started
        while True:
            free = self.rt.config.fetch.concurrency - len(self._running)
            if free <= 0:
                await asyncio.wait(list(self._running), return_when=asyncio.FIRST_COMPLETED)
                continue
            claimed = await self._claim(free, every_feed_but)
            started += claimed
            if len(claimed) < free:
                return started

    async def _claim(
        self, limit: int, every_feed_but: set[int] | None
    ) -> list[asyncio.Task[PollOutcome]]:
        now = self.rt.now()
        feeds = await self.rt.store.claim_due_feeds(
            self.rt.owner,
            now,
            self.rt.config.runtime.lease,
            limit,
            None if every_feed_but is None else sorted(every_feed_but),
        )
        started = []
        for feed in feeds:
            if every_feed_but is not None:
                every_feed_but.add(feed.id)
            if feed.next_poll_at is not None:
                lag = (now - feed.next_poll_at).total_seconds()
                self.rt.stats.sample(self.rt.stats.poll_lag, max(0.0, lag))
            task = asyncio.get_running_loop().create_task(self.poll(feed))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            started.append(task)
        return started

    async def poll_all(self) -> list[PollOutcome]:
        """Every feed once (run --once), but those backing off after failures."""
        polled: set[int] = set()
        tasks = await self.tick(every_feed_but=polled)
        outcomes = list(await asyncio.gather(*tasks))
        await self.drain()
        return outcomes

    async def drain(self) -> None:
        if self._running:
            await asyncio.wait(list(self._running))

    async def stop(self, grace: float) -> None:
        await finish_within(self._running, grace)

    async def _backlogged(self) -> bool:
        bound = self.rt.config.runtime.backlog
        waiting = await self.rt.store.backlog(bound)
        paused = waiting > bound
        if paused != self._paused:
            self._paused = paused
            if paused:
                log.warning("%d+ entries wait for processing: polling pauses", bound)
            else:
                log.info("the processing backlog is below %d again: polling resumes", bound)
        return paused

    async def poll(self, feed: StoredFeed) -> PollOutcome:
        """Fetch and parse one feed; store its new entries; record success or the error.
        Never raises: a feed's failure is recorded on the feed."""
        retry, gone, internal = None, False, False
        try:
            outcome = await self._poll(feed)
            self.rt.stats.feeds_polled += 1
            self.rt.stats.new_entries += outcome.new_entries
            self.rt.metrics.polls.labels("ok").inc()
            return outcome
        except FetchError as e:
            error, retry, gone = str(e), e.retry_after, e.status == 410
            log.warning("feed %s: %s", feed.display_name, error)
        except FeedParseError as e:
            error = str(e)
            log.warning("feed %s: %s", feed.display_name, error)
        except Exception as e:
            error, internal = f"internal error: {type(e).__name__}: {e}", True
            log.exception("feed %s: unexpected failure (a bug, please report it)", feed.url)
        if gone:
            error = f"{error} (410 Gone: no longer polled; remove it from monitor.yaml)"
        self.rt.stats.feeds_polled += 1
        self.rt.stats.feeds_failed += 1
        self.rt.metrics.polls.labels("gone" if gone else "failed").inc()
        quarantined = await self.rt.store.record_feed_failure(
            feed.id,
            self.rt.now(),
            error,
            retry_after=retry,
            gone=gone,
            internal=internal,
            max_internal=self.rt.config.runtime.max_attempts,
        )
        if quarantined:
            log.error("feed %s quarantined after repeated internal errors: %s", feed.url, error)
        return PollOutcome(feed=feed, error=error)

    async def _poll(self, feed: StoredFeed) -> PollOutcome:
        result = await self.rt.http.fetch(
            feed.poll_url, etag=feed.etag, last_modified=feed.last_modified, trusted=True
        )
        if result.moved_to:
            await self.rt.store.record_move(feed.id, result.moved_to)
            log.info("feed %s moved permanently to %s", feed.display_name, result.moved_to)
        now = self.rt.now()
        if result.status == "not_modified":
            await self.rt.store.record_not_modified(feed.id, now, self._next_poll(feed, now))
            return PollOutcome(feed=feed)
        parsed, result = await self._parse_or_discover(feed, result)
        new = await self.rt.store.record_poll(
            feed.id,
            parsed.entries,
            now,
            self._next_poll(feed, now, parsed, result.max_age),
            etag=result.etag,
            last_modified=result.last_modified,
            title=parsed.title,
        )
        if new:
            self.rt.wake.entries.set()
        log.info("feed %s: %d entries, %d new", feed.display_name, len(parsed.entries), new)
        return PollOutcome(feed=feed, new_entries=new)

    def _next_poll(
        self,
        feed: StoredFeed,
        now: datetime,
        parsed: ParsedFeed | None = None,
        max_age: float | None = None,
    ) -> datetime:
        """From how often the feed publishes, within its interval and `fetch.max_interval`,
        pushed later by its ttl / sy:updatePeriod / max-age; the plain interval ± jitter, so
        feeds added together do not stay in step."""
        base = timedelta(seconds=feed.interval)
        interval = base
        if parsed is not None:
            dates = [e.published for e in parsed.entries if e.published is not None]
            interval = next_interval(
                base,
                self.rt.config.fetch.max_interval,
                gap=publishing_gap(dates),
                ttl=parsed.min_interval,
                max_age=max_age,
            )
        if interval != base:
            return now + interval  # the feed's own hints are kept as given
        return now + interval * (1 + random.uniform(-JITTER, JITTER))

    async def _parse(self, result: FetchResult) -> FeedOrLinks:
        task = ParseFeedTask(
            body=result.body, url=result.url, now=self.rt.now(), headers=result.headers
        )
        answer = await self.rt.pool.run(task, priority=0)  # polls never wait behind articles
        if isinstance(answer, TaskError):
            if answer.expected:
                raise FeedParseError(result.url, answer.reason)
            raise RuntimeError(answer.message)
        assert isinstance(answer, FeedOrLinks)
        return answer

    async def _parse_or_discover(
        self, feed: StoredFeed, result: FetchResult
    ) -> tuple[ParsedFeed, FetchResult]:
        """Parse the feed; a web page instead of a feed is searched for the feed it announces
        (`<link rel="alternate">`), which then becomes the feed's address."""
        answer = await self._parse(result)
        if answer.feed is not None:
            return answer.feed, result
        found = await self.rt.http.fetch(answer.links[0], trusted=False)
        again = await self._parse(found)
        if again.feed is None:
            raise FeedParseError(found.url, again.error or "not a feed")
        await self.rt.store.record_move(feed.id, found.url)
        log.info(
            "feed %s: a web page; using the feed it announces, %s", feed.display_name, found.url
        )
        return again.feed, found
