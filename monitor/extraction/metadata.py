"""Page metadata (title, author, site, date, language, canonical URL), read cheaply.

trafilatura's own metadata pass costs about 40 % of its extraction time (it also hunts
categories, tags and licences we do not use). News pages state what we need in a few places:
JSON-LD, OpenGraph and other meta tags, <link rel=canonical>, <html lang>; htmldate is asked
only when none of those gives a date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement

from monitor.clock import parse_timestamp

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "webpage",
    "liveblogposting",
    "opinionnewsarticle",
}
_META = {
    "title": ("og:title", "twitter:title", "dc.title", "headline"),
    "author": (
        "author",
        "article:author",
        "byl",
        "dc.creator",
        "parsely-author",
        "sailthru.author",
    ),
    "sitename": ("og:site_name", "application-name", "publisher"),
    "published": (
        "article:published_time",
        "datepublished",
        "og:published_time",
        "pubdate",
        "publishdate",
        "parsely-pub-date",
        "sailthru.date",
        "dc.date",
        "dc.date.issued",
        "date",
        "article:modified_time",
    ),
    "locale": ("og:locale", "content-language", "language"),
}


@dataclass(frozen=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None
    sitename: str | None = None
    published: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None


def read_metadata(tree: HtmlElement, headers: dict[str, str] | None = None) -> PageMetadata:
    """Read the page's own statements about itself; JSON-LD first, then meta tags."""
    meta = _meta_tags(tree)
    ld = _json_ld_article(tree)
    published = _date(ld.get("datePublished")) or _date(_first(meta, "published"))
    if published is None:
        published = _date(find_date(tree, extensive_search=False, original_date=True))
    return PageMetadata(
        title=_text(ld.get("headline")) or _first(meta, "title") or _title_element(tree),
        author=_author(ld.get("author")) or _first_person(meta),
        sitename=_publisher(ld.get("publisher")) or _first(meta, "sitename"),
        published=published,
        language=_language(tree, meta, headers or {}),
        canonical_url=_canonical(tree) or meta.get("og:url"),
    )


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.iterfind(".//meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop") or ""
        key = key.strip().lower() or (node.get("http-equiv") or "").strip().lower()
        content = " ".join((node.get("content") or "").split())
        if key and content and key not in found:
            found[key] = content
    return found


def _first(meta: dict[str, str], field: str) -> str | None:
    return next((meta[k] for k in _META[field] if k in meta), None)


def _first_person(meta: dict[str, str]) -> str | None:
    author = _first(meta, "author")
    return None if author is None or author.startswith(("http://", "https://")) else author


def _json_ld_article(tree: HtmlElement) -> dict[str, Any]:
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in _ld_items(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
                return item
    return {}


def _ld_items(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_items(item)
    elif isinstance(data, dict):
        yield data
        if isinstance(data.get("@graph"), list):
            yield from _ld_items(data["@graph"])


def _text(value: Any) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


def _author(value: Any) -> str | None:
    items = value if isinstance(value, list) else [value]
    names = [_text(i.get("name")) if isinstance(i, dict) else _text(i) for i in items]
    clean = [n for n in names if n and not n.startswith(("http://", "https://"))]
    return "; ".join(clean) or None


def _publisher(value: Any) -> str | None:
    return _text(value.get("name")) if isinstance(value, dict) else _text(value)


def _date(value: Any) -> datetime | None:
    """ISO 8601, or at least its day (`2024-06-17 at noon` -> the 17th)."""
    if not isinstance(value, str):
        return None
    return parse_timestamp(value) or parse_timestamp(value.strip()[:10])


def _title_element(tree: HtmlElement) -> str | None:
    for path in (".//h1", ".//title"):
        node = tree.find(path)
        if node is not None and (text := " ".join(node.text_content().split())):
            return text
    return None


def _language(tree: HtmlElement, meta: dict[str, str], headers: dict[str, str]) -> str | None:
    raw = (
        tree.get("lang")
        or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        or _first(meta, "locale")
        or headers.get("content-language")
    )
    if not raw:
        return None
    return raw.split(",")[0].strip().replace("_", "-").split("-")[0].lower() or None


def _canonical(tree: HtmlElement) -> str | None:
    for node in tree.iterfind(".//link[@rel='canonical']"):
        if href := (node.get("href") or "").strip():
            return href
    return None
