"""The small typed records passed between pipeline stages.

Data walks one way: FeedEntry -> Article -> Match -> SlackMessage (an outbox row).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
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


@dataclass(frozen=True, order=True)
class Hit:
    """One reason a rule fired: a term of the rule (as it reads, `ukraine NEAR/10 nato`)
    found in a field of the article.

    `phrases` are the words to look for in a sentence, to pick and highlight it: both sides
    of a NEAR, each word of a `"…"~N` phrase, none for a regex. They are derived from the
    term, so they take no part in comparing hits.
    """

    field: str
    term: str
    # dataclasses.field: the name `field` is the attribute above, inside this class
    phrases: tuple[str, ...] = dataclasses.field(default=(), compare=False)


@dataclass(frozen=True)
class Match:
    """A rule that fired on an article: which terms hit where, and the sentence that shows it."""

    rule: str
    channel: str | None
    hits: tuple[Hit, ...]  # sorted
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
    interval: float = 300.0  # seconds between polls, as configured
    next_poll_at: datetime | None = None  # when it was due (for the poll lag)

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
    canonical_url: str | None = None  # the link as an identity: one article per link


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
    occasion: date | None = None  # the day the text says it was said, when it says so
    words: frozenset[str] = frozenset()  # the quote's content words (its fingerprint)
    organisation: bool = False  # the speaker is an organisation (`the Kremlin said`)
    fragment: bool = False  # a quoted fragment inside reported speech (`promised "…"`)
    # the kind of occasion, interviewer or platform, and place the text says it was said
    # at, as `kind|outlet|place` (`interview|cnn|`), when it says any (statements/occasion.py)
    setting: str | None = None


@dataclass(frozen=True)
class Analysis:
    """What a worker made of one entry: the article, who said what, which rules fired."""

    article: Article
    statements: tuple[Statement, ...]
    matches: tuple[Match, ...]
    timed_out: tuple[str, ...] = ()  # rules whose regex ran out of time on this article
    notes: tuple[str, ...] = ()  # what was odd but not wrong (an implausible date), for the log


@dataclass(frozen=True)
class StoredStatement:
    """A statement as stored: what deciding on a story compares."""

    id: int
    story_id: int | None
    speaker: str
    quote: str
    kind: Literal["direct", "indirect"]
    background: bool
    occasion: date | None
    words: frozenset[str] = frozenset()  # the quote's content words, as stored
    setting: str | None = None  # kind|outlet|place of the occasion (Statement.setting)


@dataclass(frozen=True)
class StoryChoice:
    """The story an article's statements join (`story_id`), or open (`new_key`), or none."""

    story_id: int | None = None
    new_key: StoredStatement | None = None


@dataclass(frozen=True)
class AlertFacts:
    """What an alert says, stored with its outbox row and rendered when it is sent."""

    rule: str
    title: str
    url: str
    outlet: str
    published: datetime | None
    sentence: str
    hits: tuple[Hit, ...]
    priority: Literal["low", "normal", "high"] = "normal"
    mention: str | None = None
    speaker: str | None = None
    role: str | None = None
    quote: str | None = None
    new_quotes: tuple[str, ...] = ()  # a follow-up: the quotes the story had not printed


@dataclass(frozen=True)
class DigestItem:
    headline: str
    outlet: str
    url: str


@dataclass(frozen=True)
class DigestFacts:
    """The alerts a throttled rule held back in an hour, sent as one message."""

    rule: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class AlertDraft:
    """One match of an article, with what the database knows of its story: the writer
    asks the alert planner what to queue for it."""

    match: Match
    article: Article
    statements: tuple[Statement, ...]  # all of the article's, for a follow-up's new quotes
    outlet: str
    story_id: int | None
    root_alert_id: int | None  # the story's top-level alert for this rule, if any
    alerts_this_hour: int  # the rule's top-level alerts in the past hour
    # what the story had quoted before this article, each with its content words (empty when
    # stored before they were kept)
    known_quotes: tuple[tuple[str, frozenset[str]], ...]
    default_channel: str


@dataclass(frozen=True)
class PlannedAlert:
    """An outbox row to write: a top-level alert, or a follow-up in `parent_id`'s thread."""

    kind: Literal["alert", "followup"]
    channel: str
    facts: AlertFacts
    parent_id: int | None = None
    held: bool = False  # over the rule's throttle: goes out in the hourly digest


@dataclass(frozen=True)
class OutboxRow:
    """An outbox row due for delivery: its facts (rendered at send time) and its state."""

    id: int
    kind: Literal["alert", "followup", "digest"]
    channel: str
    facts: AlertFacts | DigestFacts | None  # None: a schema-2 row with `legacy` blocks
    attempts: int
    parent_id: int | None = None
    thread_ts: str | None = None
    uncertain: bool = False
    slack_channel: str | None = None
    created_at: datetime | None = None
    retry_at: datetime | None = None
    story_id: int | None = None
    legacy: SlackMessage | None = None


@dataclass(frozen=True)
class SearchHit:
    """One result of a history search (`monitor search`, the web page): an article matched
    by its title or text, or a statement by its speaker or quote."""

    kind: Literal["article", "statement"]
    article_id: int
    url: str
    title: str | None
    published: datetime | None
    sitename: str | None
    speaker: str | None  # a statement's
    quote: str | None
    # plain text around the match, the matched words marked «like this» (the web layer
    # escapes it, then styles the marks)
    snippet: str
    rank: float  # higher is better; comparable within one search only
    statement_id: int | None = None  # a statement's row, to find it in its article
