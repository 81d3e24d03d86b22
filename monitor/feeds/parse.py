"""Parse feed bytes with feedparser into FeedEntry records.

An entry's identity is its GUID, else its canonical link, so a re-poll never re-processes it
even when tracking parameters in the link change. An entry's date is checked against `now`
(monitor/feeds/dates.py): a bad date makes that date unknown, never the feed unreadable.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from defusedxml import ElementTree as DefusedET

from monitor.clock import parse_timestamp
from monitor.errors import FeedParseError
from monitor.feeds.dates import entry_date
from monitor.feeds.fast import parse_plain_feed
from monitor.feeds.urls import canonical_url
from monitor.records import FeedEntry, ParsedFeed


def parse_feed(
    body: bytes, *, url: str, headers: dict[str, str] | None = None, now: datetime
) -> ParsedFeed:
    """Parse `body` (fetched from `url` at `now`); raise FeedParseError if it is not a feed.

    RSS 0.9x/1.0/2.0 and Atom go through feedparser (its XML parser refuses entity
    expansion attacks and never fetches external entities); JSON Feed is read here.
    Entry dates later than `now` + 1 day, or unreadable, become None with a warning.
    """
    if _is_json(body, (headers or {}).get("content-type")):
        return parse_json_feed(body, url=url, now=now)
    if b"<urlset" in body[:4096] and NEWS_SITEMAP.encode() in body[:8192]:
        return parse_news_sitemap(body, url=url, now=now)
    plain = parse_plain_feed(body, url, now=now)
    if plain is not None:
        return plain
    return parse_with_feedparser(body, url=url, headers=headers, now=now)


def parse_with_feedparser(
    body: bytes, *, url: str, headers: dict[str, str] | None = None, now: datetime
) -> ParsedFeed:
    """The general path: every format and every oddity feedparser knows."""
    response_headers = {"content-location": url, **(headers or {})}
    parsed = feedparser.parse(body, response_headers=response_headers)
    if not parsed.get("version") and not parsed.entries:
        raise FeedParseError(url, _why_not_a_feed(parsed, response_headers))
    entries = tuple(e for raw in parsed.entries if (e := _entry(raw, url, now)) is not None)
    return ParsedFeed(
        title=parsed.feed.get("title") or None,
        entries=entries,
        min_interval=_requested_interval(parsed.feed),
    )


NEWS_SITEMAP = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


def parse_news_sitemap(body: bytes, *, url: str, now: datetime) -> ParsedFeed:
    """A Google News sitemap (`news:news`): outlets without feeds publish these."""
    try:
        root = DefusedET.fromstring(body)
    except Exception as e:  # defusedxml's own errors and ParseError alike
        raise FeedParseError(url, f"not a readable news sitemap: {e}") from e
    entries = []
    for node in root.iter(f"{{{SITEMAP}}}url"):
        loc = (node.findtext(f"{{{SITEMAP}}}loc") or "").strip()
        news = node.find(f"{{{NEWS_SITEMAP}}}news")
        if not loc or news is None:
            continue
        link = urljoin(url, loc)
        title = (news.findtext(f"{{{NEWS_SITEMAP}}}title") or "").strip() or None
        written = news.findtext(f"{{{NEWS_SITEMAP}}}publication_date")
        published = entry_date(
            [(written, parse_timestamp(written))], now=now, feed_url=url, entry=link
        )
        entries.append(
            FeedEntry(key=canonical_url(link), url=link, title=title, published=published)
        )
    return ParsedFeed(title=None, entries=tuple(entries))


def _is_json(body: bytes, content_type: str | None) -> bool:
    return "json" in (content_type or "") or body.lstrip()[:1] == b"{"


def parse_json_feed(body: bytes, *, url: str, now: datetime) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except ValueError as e:
        raise FeedParseError(url, f"not a JSON Feed: {e}") from e
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedParseError(url, "JSON without a JSON Feed `version`")
    raw_items = data.get("items")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        link = urljoin(url, link) if isinstance(link, str) and link else None
        title = item.get("title") if isinstance(item.get("title"), str) else None
        key = _entry_key(
            str(item["id"]) if item.get("id") is not None else None,
            link,
            title,
            item.get("content_text") or item.get("summary"),
        )
        if key is not None:
            written = item.get("date_published")
            written = written if isinstance(written, str) else None
            published = entry_date(
                [(written, parse_timestamp(written))], now=now, feed_url=url, entry=link or key
            )
            entries.append(
                FeedEntry(
                    key=key, url=link, title=(title or "").strip() or None, published=published
                )
            )
    title = data.get("title") if isinstance(data.get("title"), str) else None
    return ParsedFeed(title=title, entries=tuple(entries))


_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}


def _requested_interval(feed: Any) -> float | None:
    """RSS `ttl` (minutes), or `sy:updatePeriod` / `sy:updateFrequency`."""
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60.0
    period = _PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    frequency = str(feed.get("sy_updatefrequency") or "1").strip()
    return period / max(1, int(frequency)) if frequency.isdigit() else float(period)


def _why_not_a_feed(parsed: Any, headers: dict[str, str]) -> str:
    content_type = headers.get("content-type", "unknown content type")
    problem = parsed.get("bozo_exception")
    detail = f": {problem}" if problem else ""
    return f"not an RSS/Atom feed ({content_type}){detail}"


def _entry(raw: Any, feed_url: str, now: datetime) -> FeedEntry | None:
    link = raw.get("link")
    url = urljoin(feed_url, link) if link else None
    title = (raw.get("title") or "").strip() or None
    key = _entry_key(raw.get("id"), url, title, raw.get("summary"))
    if key is None:
        return None
    published = entry_date(_dates(raw), now=now, feed_url=feed_url, entry=url or key)
    return FeedEntry(key=key, url=url, title=title, published=published, content=_content(raw))


def _content(raw: Any) -> str | None:
    """content:encoded / Atom content, else the summary (HTML as the feed gives it)."""
    for item in raw.get("content") or []:
        value = item.get("value") if isinstance(item, dict) else None
        if value and value.strip():
            return str(value)
    summary = raw.get("summary")
    return str(summary) if summary and str(summary).strip() else None


def _entry_key(
    guid: str | None, url: str | None, title: str | None, summary: str | None
) -> str | None:
    if guid and guid.strip():
        return guid.strip()
    if url:
        return canonical_url(url)
    if title or summary:
        digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:32]
        return f"content:{digest}"
    return None


def _dates(raw: Any) -> list[tuple[str | None, datetime | None]]:
    """The entry's dates as the feed wrote them and as feedparser read them (UTC).

    dict.get, not raw.get: feedparser's own get answers `published` for a missing `updated`,
    which would offer (and warn about) the same date twice."""
    return [
        (dict.get(raw, field), _from_struct(dict.get(raw, f"{field}_parsed")))
        for field in ("published", "updated", "created")
    ]


def _from_struct(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None  # beyond what a datetime (or the platform's time_t) holds
