"""OPML import and export: the feed lists other readers hand over."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

from defusedxml import ElementTree

from monitor.errors import FeedParseError


def read_opml(data: bytes, source: str) -> list[tuple[str, str | None]]:
    """(feed URL, title) of every outline with an xmlUrl, nested folders included."""
    try:
        root = ElementTree.fromstring(data)
    except Exception as e:  # defusedxml raises its own and ParseError; both mean "not OPML"
        raise FeedParseError(source, f"not a readable OPML file: {e}") from e
    feeds = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url.startswith(("http://", "https://")):
            feeds.append((url, outline.get("title") or outline.get("text") or None))
    return feeds


def write_opml(feeds: Sequence[tuple[str, str | None]], title: str = "monitor feeds") -> str:
    outlines = "\n".join(
        f'    <outline type="rss" text={quoteattr(name or url)} title={quoteattr(name or url)}'
        f" xmlUrl={quoteattr(url)}/>"
        for url, name in feeds
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">\n'
        f"  <head><title>{title}</title></head>\n  <body>\n{outlines}\n  </body>\n</opml>\n"
    )
