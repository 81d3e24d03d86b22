from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.errors import FeedParseError
from monitor.feeds import parse_feed

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>With guid</title><link>https://a.example/1</link><guid isPermaLink="false">id-1</guid>
<pubDate>Mon, 17 Jun 2024 18:00:00 GMT</pubDate></item>
<item><title>No guid</title><link>https://A.example:443/2?utm_source=x&amp;id=7#top</link></item>
<item><title>Relative</title><link>/news/3</link></item>
<item><description>neither link nor guid</description></item>
</channel></rss>"""


def test_entries_are_keyed_by_guid_else_canonical_link() -> None:
    feed = parse_feed(RSS, url="https://a.example/feed.xml", now=NOW)
    keys = [e.key for e in feed.entries]
    assert keys[0] == "id-1"
    assert keys[1] == "https://a.example/2?id=7"
    assert keys[2] == "https://a.example/news/3"
    assert keys[3].startswith("content:")
    assert feed.entries[0].published is not None
    assert feed.entries[0].published.isoformat() == "2024-06-17T18:00:00+00:00"
    assert feed.title == "T"


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError, match=r"feed https://a.example/f: not an RSS/Atom feed"):
        parse_feed(
            b"<html><body>Document moved</body></html>",
            url="https://a.example/f",
            headers={"content-type": "text/html"},
            now=NOW,
        )


def test_google_news_sitemap_is_a_source() -> None:
    sitemap = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url><loc>https://n.example/a?utm_source=x</loc><news:news>
   <news:publication><news:name>N</news:name><news:language>en</news:language></news:publication>
   <news:publication_date>2024-06-17T18:00:00+00:00</news:publication_date>
   <news:title>Kirby on NATO</news:title></news:news></url>
 <url><loc>https://n.example/not-news</loc></url>
</urlset>"""
    feed = parse_feed(sitemap, url="https://n.example/news-sitemap.xml", now=NOW)
    (entry,) = feed.entries
    assert entry.key == "https://n.example/a" and entry.title == "Kirby on NATO"
    assert entry.published is not None and entry.published.isoformat().startswith("2024-06-17")


def test_json_feed() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        b'{"id": "1", "url": "/a", "title": "T", "date_published": "2024-06-17T18:00:00Z"}]}'
    )
    feed = parse_feed(
        body,
        url="https://n.example/feed.json",
        headers={"content-type": "application/feed+json"},
        now=NOW,
    )
    (entry,) = feed.entries
    assert feed.title == "J" and entry.url == "https://n.example/a" and entry.key == "1"
    with pytest.raises(FeedParseError, match="JSON without a JSON Feed"):
        parse_feed(b'{"a": 1}', url="https://n.example/x.json", now=NOW)
