"""trafilatura -> Article: the article text with metadata, then our cleaning passes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import lxml.html
import trafilatura
from lxml.etree import ParserError
from trafilatura.settings import Document

from monitor.errors import ExtractionError
from monitor.extraction.cleaning import Pattern, clean_paragraphs, load_patterns
from monitor.extraction.decode import decode_html
from monitor.records import Article


def extract_article(
    body: bytes,
    *,
    url: str,
    headers: dict[str, str] | None = None,
    patterns: Sequence[Pattern] | None = None,
) -> Article:
    """Extract and clean the article in `body`; raise ExtractionError if there is none."""
    headers = headers or {}
    html = decode_html(body, headers.get("content-type"))
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except (ValueError, ParserError) as e:
        raise ExtractionError(url, f"page could not be parsed: {e}") from e
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        raise ExtractionError(url, "no article text found in the page")
    title = _clean_meta(doc.title)
    kept, dropped = clean_paragraphs(
        (doc.text or "").split("\n"),
        title=title,
        patterns=load_patterns() if patterns is None else patterns,
    )
    if not kept:
        raise ExtractionError(url, "the page held only boilerplate")
    return Article(
        source=url,
        title=title,
        paragraphs=kept,
        published=_parse_date(doc.date),
        author=_clean_meta(doc.author),
        sitename=_clean_meta(doc.sitename),
        language=_clean_meta(doc.language) or _declared_language(html, headers),
        canonical_url=_clean_meta(doc.url),
        dropped=dropped,
    )


def _clean_meta(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _declared_language(html: str, headers: dict[str, str]) -> str | None:
    """`<html lang>`, else Content-Language: trafilatura only detects with optional extras."""
    try:
        root = lxml.html.document_fromstring(html[:50_000].encode("utf-8", "replace"))
        lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    except (ParserError, ValueError):
        lang = None
    lang = lang or headers.get("content-language")
    return lang.split(",")[0].strip().split("-")[0].lower() or None if lang else None
