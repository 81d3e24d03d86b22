"""Feed autodiscovery: the `<link rel="alternate" type="application/rss+xml">` of a page."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html
from lxml.etree import ParserError

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    head = body[:1024].lstrip().lower()
    return "html" in (content_type or "") or head.startswith((b"<!doctype html", b"<html"))


def feed_links(body: bytes, base_url: str) -> list[str]:
    """Feed URLs a web page announces, best first (RSS/Atom/JSON Feed order as listed)."""
    try:
        root = lxml.html.document_fromstring(body[:2_000_000])
    except (ParserError, ValueError):
        return []
    links = []
    for node in root.iterfind(".//link"):
        rel = (node.get("rel") or "").lower().split()
        kind = (node.get("type") or "").lower().split(";")[0].strip()
        href = (node.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            links.append(urljoin(base_url, href))
    return list(dict.fromkeys(links))
