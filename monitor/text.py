"""Text primitives shared by the stages: case/accent folding and sentence ends.

One definition each, so that matching, statements and fingerprints agree on what a word
and a sentence are.
"""

from __future__ import annotations

import re
import unicodedata

_ABBREVIATIONS = (
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Prof",
    "Gen",
    "Sen",
    "Rep",
    "Gov",
    "Col",
    "Lt",
    "Sgt",
    "St",
    "No",
    "Jr",
    "Sr",
    "vs",
    "Rev",
    "Adm",
    "Capt",
    "Cmdr",
    "Maj",
    "Msgr",
    "Fr",
    "Supt",
    "Amb",
    "Atty",
    "Cpl",
    "Pvt",
    "Mt",
    "Ft",
)
_NOT_AFTER = "".join(
    rf"(?<!{a})"
    for a in (r"\b[A-Z]\.", r"[A-Z]\.[A-Z]\.", *(rf"\b{abbr}\." for abbr in _ABBREVIATIONS))
)
# A sentence end, but not after initials and abbreviations (`U.S. Secretary`, `Dr. Smith`).
# The match starts right after the full stop and takes closing quotes and the spaces after.
SENTENCE_END = re.compile(rf"(?<=[.!?…]){_NOT_AFTER}[\"”’»)]*\s+(?=[\"“‘«(–—-]*[A-Z0-9])")


def _combining_marks() -> dict[int, None]:
    """Every combining mark, for str.translate (C speed, where a per-character loop in
    Python cost milliseconds per article). Planes 3-13 hold none."""
    points = (*range(0x30000), *range(0xE0000, 0xE1000))
    return {cp: None for cp in points if unicodedata.combining(chr(cp))}


_COMBINING = _combining_marks()


def fold(text: str) -> str:
    """Case- and accent-insensitive form: `Orbán` -> `orban`, `Zelenskyy's` -> `zelenskyy's`."""
    return unicodedata.normalize("NFKD", text).translate(_COMBINING).casefold()


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph, each with its closing quotes."""
    parts, start = [], 0
    for end in SENTENCE_END.finditer(paragraph):
        parts.append(paragraph[start : end.end()].strip())
        start = end.end()
    parts.append(paragraph[start:].strip())
    return [p for p in parts if p]
