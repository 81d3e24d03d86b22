"""The small typed records passed between pipeline stages.

Data walks one way: FeedEntry -> Article -> Match -> SlackMessage (an outbox row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True)
class FeedEntry:
    """One item of a parsed feed; `key` is its identity within the feed (GUID or canonical link)."""

    key: str
    url: str | None
    title: str | None
    published: datetime | None
    content: str | None = None  # the article as the feed carries it (HTML), if it does


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: tuple[FeedEntry, ...]
    min_interval: float | None = None  # seconds the feed asks between polls (ttl, sy:)


@dataclass(frozen=True)
class FetchResult:
    """An HTTP response worth keeping; expected failures raise FetchError instead."""

    status: Literal["ok", "not_modified"]
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # every redirect on the way was permanent (301/308)
    max_age: float | None = None  # Cache-Control max-age, seconds


@dataclass(frozen=True)
class DroppedLine:
    """A line the cleaning layer removed, and which pass and pattern removed it."""

    text: str
    cleaning_pass: str
    pattern: str


@dataclass(frozen=True)
class Article:
    source: str
    title: str | None
    paragraphs: tuple[str, ...]
    published: datetime | None
    author: str | None
    sitename: str | None
    language: str | None
    canonical_url: str | None = None
    dropped: tuple[DroppedLine, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Match:
    """A rule that fired on an article: which terms hit, and the sentence that shows it."""

    rule: str
    channel: str | None
    terms: tuple[str, ...]
    sentence: str
    statement: Statement | None = None  # the key on-topic statement, when there is one
    followups: Literal["thread", "ignore"] = "thread"
    mention: str | None = None  # `@here`, `<!subteam^ID>`: the only way an alert pings
    priority: Literal["low", "normal", "high"] = "normal"
    throttle: int | None = None  # max top-level alerts per hour; the rest go in a digest


@dataclass(frozen=True)
class SlackMessage:
    """A rendered alert, ready for chat.postMessage (stored as is in the outbox)."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class StoredFeed:
    """A feed as the scheduler sees it, with its HTTP cache validators."""

    id: int
    url: str
    name: str | None
    title: str | None
    etag: str | None
    last_modified: str | None
    fetch_url: str | None = None  # after a permanent redirect

    @property
    def poll_url(self) -> str:
        return self.fetch_url or self.url

    @property
    def display_name(self) -> str:
        return self.name or self.title or self.url


@dataclass(frozen=True)
class StoredEntry:
    """An entry waiting for its article to be fetched, extracted and matched."""

    id: int
    feed_id: int
    feed_name: str
    url: str | None
    feed_url: str
    title: str | None
    published: datetime | None
    attempts: int
    content: str | None = None


@dataclass(frozen=True)
class PendingAlert:
    """An outbox row not yet delivered."""

    id: int
    channel: str
    text: str
    blocks: list[dict[str, Any]]
    attempts: int
    parent_id: int | None = None  # a thread reply: the alert it answers
    thread_ts: str | None = None  # that alert's Slack `ts` (None on the console)
    uncertain: bool = False  # an earlier send may have reached Slack
    slack_channel: str | None = None  # the channel ID, once Slack has told us
    created_at: datetime | None = None
    retry_at: datetime | None = None  # after a failure: not before this time


@dataclass(frozen=True)
class Delivered:
    """Slack's answer to a post: where the message is, for threads and updates."""

    ts: str | None
    channel_id: str | None = None


@dataclass(frozen=True)
class Statement:
    """Who said what, where in the article text it sits, and whether it is today's news.

    `background` marks a quote recalled from an earlier occasion ("Kirby said in June…"):
    it is kept for display but never opens or joins a story.
    """

    speaker: str
    role: str | None
    quote: str
    kind: Literal["direct", "indirect"]
    sentence: str
    start: int
    end: int
    background: bool = False
