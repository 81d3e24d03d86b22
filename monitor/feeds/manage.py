"""Adding feeds by hand: find the feed behind a site's address (autodiscovery)."""

from __future__ import annotations

from datetime import datetime

from monitor.errors import FeedParseError, FetchError
from monitor.feeds.discover import feed_links, looks_like_html
from monitor.feeds.parse import parse_feed
from monitor.fetching import HttpClient


async def discover(http: HttpClient, url: str, *, now: datetime) -> tuple[str, str | None]:
    """The feed at `url`, or the first feed a page at `url` announces: (feed URL, title)."""
    result = await http.fetch(url, trusted=True)
    try:
        parsed = parse_feed(result.body, url=result.url, headers=result.headers, now=now)
        return result.url, parsed.title
    except FeedParseError:
        if not looks_like_html(result.body, result.headers.get("content-type")):
            raise
    for link in feed_links(result.body, result.url):
        try:
            found = await http.fetch(link, trusted=True)
            parsed = parse_feed(found.body, url=found.url, headers=found.headers, now=now)
        except (FetchError, FeedParseError):
            continue
        return found.url, parsed.title
    raise FeedParseError(url, 'a web page that announces no feed (no <link rel="alternate">)')
