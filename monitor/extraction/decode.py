"""Bytes -> text: charset from the HTTP header, then the document, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
WRONG_DECLARATION_RATIO = 0.1
_ASCII = bytes(range(128))
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


def _mostly_valid(text: str, body: bytes) -> bool:
    """A few stray bad bytes keep the declaration; a page full of them means it lies."""
    errors = text.count("\ufffd") - body.count("\ufffd".encode())
    if errors <= 2:
        return True
    non_ascii = len(body.translate(None, _ASCII))
    return errors <= non_ascii * WRONG_DECLARATION_RATIO


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode a page; a wrong declaration falls back to detection, and bytes that are
    invalid in every reading become U+FFFD instead of raising."""
    declared = declared_charset(body, content_type)
    if declared is not None:
        text = body.decode(declared, errors="replace")
        if _mostly_valid(text, body):
            return text.lstrip("\ufeff")
        # declared wrongly (latin-1 served as utf-8 is common): detect instead
    best = from_bytes(body[:200_000]).best()
    charset = best.encoding if best is not None else (declared or "utf-8")
    return body.decode(charset, errors="replace").lstrip("\ufeff")
