"""Bytes -> text: charset from the HTTP header, then the document, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the server or the document declares, if Python knows it."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8"
    header = _HEADER_CHARSET.search(content_type or "")
    if header and (charset := _known(header.group(1))):
        return charset
    meta = _META_CHARSET.search(body[:4096])
    return _known(meta.group(1).decode("ascii", "replace")) if meta else None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode a page; invalid byte sequences become U+FFFD instead of raising."""
    charset = declared_charset(body, content_type)
    if charset is None:
        best = from_bytes(body[:200_000]).best()
        charset = best.encoding if best is not None else "utf-8"
    return body.decode(charset, errors="replace").lstrip("\ufeff")
