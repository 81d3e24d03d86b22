"""A date a feed gets wrong (9999-12-31, next year, unreadable) becomes unknown for that entry
only: the feed parses, its other entries keep their dates, and a warning names feed and entry.
Every parse path: the fast lxml path, feedparser, JSON Feed and Google News sitemaps."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from monitor.feeds import parse_feed
from monitor.feeds.fast import parse_plain_feed

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
GOOD = datetime(2025, 12, 31, 18, 30, tzinfo=UTC)
FEED = "https://n.example/feed"

Builder = Callable[[list[str]], bytes]


def rss(dates: list[str], *, head: str = "") -> bytes:
    items = "".join(
        f"<item><title>T{i}</title><link>https://n.example/{i}</link>"
        f"<pubDate>{date}</pubDate></item>"
        for i, date in enumerate(dates)
    )
    return (
        f'<?xml version="1.0"?>{head}<rss version="2.0"><channel><title>N</title>'
        f"{items}</channel></rss>"
    ).encode()


def rss_with_doctype(dates: list[str]) -> bytes:
    """A DOCTYPE sends the feed down the feedparser path."""
    return rss(dates, head='<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "">')


def rss1(dates: list[str]) -> bytes:
    """RSS 1.0 (RDF) with dc:date: only feedparser reads it."""
    items = "".join(
        f'<item rdf:about="https://n.example/{i}"><title>T{i}</title>'
        f"<link>https://n.example/{i}</link><dc:date>{date}</dc:date></item>"
        for i, date in enumerate(dates)
    )
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://n.example/"><title>N</title><link>https://n.example/</link>'
        f"<description>d</description></channel>{items}</rdf:RDF>"
    ).encode()


def atom(dates: list[str]) -> bytes:
    entries = "".join(
        f"<entry><id>urn:n:{i}</id><title>T{i}</title><link href='https://n.example/{i}'/>"
        f"<published>{date}</published></entry>"
        for i, date in enumerate(dates)
    )
    return (
        f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>N</title>'
        f"{entries}</feed>"
    ).encode()


def json_feed(dates: list[str]) -> bytes:
    items = [
        {"id": str(i), "url": f"https://n.example/{i}", "title": f"T{i}", "date_published": d}
        for i, d in enumerate(dates)
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()


def news_sitemap(dates: list[str]) -> bytes:
    urls = "".join(
        f"<url><loc>https://n.example/{i}</loc><news:news><news:title>T{i}</news:title>"
        f"<news:publication_date>{date}</news:publication_date></news:news></url>"
        for i, date in enumerate(dates)
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    ).encode()


def rfc822(value: datetime) -> str:
    return format_datetime(value)


def iso(value: datetime) -> str:
    return value.isoformat()


RFC822_FORMATS: list[Builder] = [rss, rss_with_doctype]
ISO_FORMATS: list[Builder] = [rss1, atom, json_feed, news_sitemap]
FAR_RFC822 = ["Fri, 31 Dec 9999 23:59:59 -0500", "Fri, 31 Dec 9999 23:59:59 GMT"]
FAR_ISO = ["9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59Z", "9999-12-31"]
CASES = [(build, far, rfc822) for build in RFC822_FORMATS for far in FAR_RFC822] + [
    (build, far, iso) for build in ISO_FORMATS for far in FAR_ISO
]


def _published(body: bytes) -> list[datetime | None]:
    return [e.published for e in parse_feed(body, url=FEED, now=NOW).entries]


@pytest.mark.parametrize(
    ("build", "far", "write"), CASES, ids=[f"{b.__name__}-{far}" for b, far, _ in CASES]
)
def test_a_year_9999_date_is_unknown_and_the_other_entries_keep_theirs(
    build: Builder, far: str, write: Callable[[datetime], str]
) -> None:
    assert _published(build([write(GOOD), far, write(GOOD - timedelta(hours=1))])) == [
        GOOD,
        None,
        GOOD - timedelta(hours=1),
    ]


@pytest.mark.parametrize("build", [rss, atom])
def test_the_fast_path_keeps_a_feed_with_a_year_9999_date(build: Builder) -> None:
    far = "Fri, 31 Dec 9999 23:59:59 -0500" if build is rss else "9999-12-31T23:59:59Z"
    parsed = parse_plain_feed(
        build([far, rfc822(GOOD) if build is rss else iso(GOOD)]), FEED, now=NOW
    )
    assert parsed is not None  # no fallback to feedparser needed
    assert [e.published for e in parsed.entries] == [None, GOOD]


@pytest.mark.parametrize(
    ("build", "write"),
    [(rss, rfc822), (rss_with_doctype, rfc822)] + [(b, iso) for b in ISO_FORMATS],
)
def test_an_hour_ahead_is_kept_two_days_ahead_is_unknown(
    build: Builder, write: Callable[[datetime], str]
) -> None:
    hour, days = NOW + timedelta(hours=1), NOW + timedelta(days=2)
    assert _published(build([write(hour), write(days)])) == [hour, None]


def test_the_warning_names_the_feed_the_entry_and_the_date(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="monitor.feeds"):
        parse_feed(rss([rfc822(GOOD), "Fri, 31 Dec 9999 23:59:59 -0500"]), url=FEED, now=NOW)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert FEED in message and "https://n.example/1" in message
    assert "Fri, 31 Dec 9999 23:59:59 -0500" in message


def test_an_entry_without_a_link_is_named_by_its_guid(caplog: pytest.LogCaptureFixture) -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title><item>'
        b'<title>T</title><guid isPermaLink="false">tag:n.example,2026:42</guid>'
        b"<pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate></item></channel></rss>"
    )
    with caplog.at_level(logging.WARNING, logger="monitor.feeds"):
        (entry,) = parse_feed(body, url=FEED, now=NOW).entries
    assert entry.published is None
    assert "tag:n.example,2026:42" in caplog.text and FEED in caplog.text


def test_an_unreadable_date_is_unknown_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="monitor.feeds"):
        published = _published(json_feed(["the day before yesterday", iso(GOOD)]))
    assert published == [None, GOOD]
    assert "the day before yesterday" in caplog.text


def test_a_good_feed_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="monitor.feeds"):
        assert _published(atom([iso(GOOD)])) == [GOOD]
    assert caplog.records == []


def test_an_unbelievable_published_date_falls_back_to_updated() -> None:
    body = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>N</title>'
        b"<entry><id>urn:n:1</id><title>T</title><link href='https://n.example/1'/>"
        b"<published>9999-12-31T00:00:00Z</published>"
        b"<updated>2025-12-31T18:30:00Z</updated></entry></feed>"
    )
    assert _published(body) == [GOOD]


def test_a_feed_the_fast_path_gives_up_on_is_warned_about_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The 9999 item comes before one the fast path cannot read (markup in a title), so the
    feed goes to feedparser after the fast path has seen the bad date."""
    body = rss(["Fri, 31 Dec 9999 23:59:59 GMT", rfc822(GOOD)]).replace(
        b"<title>T1</title>", b"<title>&lt;b&gt;T1&lt;/b&gt;</title>"
    )
    assert parse_plain_feed(body, FEED, now=NOW) is None
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="monitor.feeds"):
        assert _published(body) == [None, GOOD]
    assert len(caplog.records) == 1
