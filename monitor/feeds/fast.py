"""A fast path for plain RSS 2.0 and Atom 1.0: lxml instead of feedparser.

feedparser is thorough and slow (about 5 ms for a 20-item feed); most news feeds are plain,
well-formed RSS 2.0 or Atom, which lxml reads in a fraction of that. Anything unusual (a
DOCTYPE, xml:base, RSS 1.0, a parse error, an element or a date format we do not expect)
returns None and the caller uses feedparser. A date we can read but not believe (9999-12-31)
is no reason to give up the feed: it becomes unknown, as on every path (feeds/dates.py).
tests/integration/test_fast_parser.py checks that both paths agree on every corpus feed the
fast path accepts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from monitor.clock import parse_timestamp
from monitor.feeds.dates import entry_date
from monitor.feeds.urls import canonical_url
from monitor.records import FeedEntry, ParsedFeed

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
Dates = list[tuple[str | None, datetime | None]]  # an entry's dates: as written, as read
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True, remove_pis=True
)


def parse_plain_feed(body: bytes, url: str, *, now: datetime) -> ParsedFeed | None:
    """The feed, if it is plain RSS 2.0 or Atom 1.0; None means: use feedparser.

    `now` bounds the entries' dates (`clock.plausible`)."""
    head = body[:2048]
    if b"<!DOCTYPE" in head or b"<!doctype" in head or b"xml:base" in body:
        return None
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    try:
        if root.tag == "rss" and root.get("version", "").startswith("2."):
            return _rss(root, url, now)
        if root.tag == f"{ATOM}feed":
            return _atom(root, url, now)
    except _Unusual:
        return None
    return None


class _Unusual(Exception):
    """Something the fast path does not handle: let feedparser read the feed."""


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    if len(node) or node.get("type") not in (None, "text") or node.get("mode"):
        raise _Unusual  # markup, HTML or base64 in a text element: feedparser handles it
    text = (node.text or "").strip()
    if "<" in text or "&" in text:
        raise _Unusual  # escaped markup in a title: feedparser cleans it
    return text or None


def _rss(root: etree._Element, url: str, now: datetime) -> ParsedFeed:
    channel = root.find("channel")
    if channel is None:
        raise _Unusual
    if channel.find("{http://purl.org/rss/1.0/modules/syndication/}updatePeriod") is not None:
        raise _Unusual  # let feedparser read sy: hints
    if channel.find("title") is None:
        raise _Unusual  # dc:title and other stand-ins
    title = _text(channel.find("title"))
    undated = [_rss_item(item, url) for item in channel.iterfind("item")]
    ttl = (channel.findtext("ttl") or "").strip()
    return ParsedFeed(
        title=title,
        entries=_dated(undated, url, now),
        min_interval=int(ttl) * 60.0 if ttl.isdigit() and int(ttl) > 0 else None,
    )


def _dated(
    undated: list[tuple[FeedEntry, Dates]], url: str, now: datetime
) -> tuple[FeedEntry, ...]:
    """The entries with their dates, judged (and bad ones logged) only once the whole feed is
    known to be ours: falling back to feedparser after a few items would warn twice."""
    return tuple(
        replace(
            entry, published=entry_date(dates, now=now, feed_url=url, entry=entry.url or entry.key)
        )
        for entry, dates in undated
    )


def _rss_item(item: etree._Element, url: str) -> tuple[FeedEntry, Dates]:
    link = _text(item.find("link"))
    link = urljoin(url, link) if link else None
    guid_node = item.find("guid")
    guid = _text(guid_node)
    if guid and guid_node is not None and guid_node.get("isPermaLink", "true") != "false":
        guid = _lower_scheme(urljoin(url, guid))
        link = link or guid  # a permalink GUID is the entry's link, as feedparser has it
    title = _text(item.find("title"))
    key = guid or (canonical_url(link) if link else None)
    if key is None:
        raise _Unusual  # content-hash keys: feedparser's summary decides them
    content = item.findtext(CONTENT) or item.findtext("description")
    pub_date, dc_date = item.findtext("pubDate"), item.findtext(DC_DATE)
    dates = [(pub_date, _rfc822(pub_date)), (dc_date, _iso(dc_date))]
    dated = [c for c in item.iter() if isinstance(c.tag, str) and "date" in c.tag.lower()]
    namespaced = [
        c for c in item if isinstance(c.tag, str) and c.tag.startswith("{") and c.tag != CONTENT
    ]
    if len(dated) > 1 or (all(read is None for _, read in dates) and (dated or namespaced)):
        raise _Unusual  # a date in an element feedparser knows and we do not
    entry = FeedEntry(
        key=key,
        url=link,
        title=title,
        published=None,
        content=content.strip() or None if content else None,
    )
    return entry, dates


def _atom(root: etree._Element, url: str, now: datetime) -> ParsedFeed:
    title = _text(root.find(f"{ATOM}title"))
    undated = [_atom_entry(node, url) for node in root.iterfind(f"{ATOM}entry")]
    return ParsedFeed(title=title, entries=_dated(undated, url, now))


def _atom_entry(node: etree._Element, url: str) -> tuple[FeedEntry, Dates]:
    links = node.findall(f"{ATOM}link")
    if any(candidate.get("rel", "alternate") != "alternate" for candidate in links):
        raise _Unusual  # enclosures, related, self: feedparser's choice of link rules
    link = next((urljoin(url, c.get("href", "")) for c in links if c.get("href")), None)
    entry_id = _text(node.find(f"{ATOM}id"))
    if link is None or (entry_id and ":" not in entry_id):
        raise _Unusual  # feedparser derives links and ids in these cases
    key = entry_id or (canonical_url(link) if link else None)
    if key is None:
        raise _Unusual
    content_node = node.find(f"{ATOM}content")
    if content_node is None:
        content_node = node.find(f"{ATOM}summary")
    if content_node is not None and (len(content_node) or content_node.get("type") == "xhtml"):
        raise _Unusual  # inline XHTML content
    content = content_node.text if content_node is not None else None
    published, updated = node.findtext(f"{ATOM}published"), node.findtext(f"{ATOM}updated")
    dates = [(published, _iso(published)), (updated, _iso(updated))]
    entry = FeedEntry(
        key=key,
        url=link,
        title=_text(node.find(f"{ATOM}title")),
        published=None,
        content=content.strip() or None if content else None,
    )
    return entry, dates


def _lower_scheme(url: str) -> str:
    scheme, sep, rest = url.partition(":")
    return scheme.lower() + sep + rest if sep and scheme.isalpha() else url


def _rfc822(value: str | None) -> datetime | None:
    """The date as written (its own zone; naive means UTC), however far off: see entry_date."""
    if not value or not value.strip():
        return None
    try:
        return parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, OverflowError):
        raise _Unusual from None  # odd dates: feedparser knows dozens of formats


def _iso(value: str | None) -> datetime | None:
    parsed = parse_timestamp(value)
    if parsed is None and value and value.strip():
        raise _Unusual  # odd dates (or none in UTC): feedparser knows dozens of formats
    return parsed
