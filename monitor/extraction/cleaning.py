"""The cleaning layer after trafilatura: separate, conservative, data-driven passes.

Passes mark lines rather than delete them, so each pass sees the article as extracted and
`monitor extract --explain` can say which pass and pattern dropped what. No pass drops a line
that carries a quotation attributed to a person.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.extraction.boilerplate import Pattern
from monitor.records import DroppedLine

_QUOTE_CHARS = '"“”«»„‘’'
_ATTRIBUTION = re.compile(
    r"\b(said|says|say|added|adds|noted|notes|stated|states|told|tells|explained|concluded|"
    r"argued|announced|continued|emphasi[sz]ed|stressed|insisted|wrote|according to|asked|"
    r"replied|declared|warned|promised|pledged|claimed)\b",
    re.I,
)
_SENTENCE_END = tuple('.!?…:;"”’»)。！？」』')
_BULLET = re.compile(r"^\s*(?:[-–—•*·]\s+)")
_NOT_TEASERS = ("|", "-", "—", "–", "•", "*")  # table rows, list items, embed credits
_DIGIT = re.compile(r"\d")
LEDE_LINES = 3  # a repeated headline sits in the first lines (after a kicker, say)
TEASER_MIN_WORDS = 4
TEASER_MAX_GAP = 3
LINK_RUN_MIN_LINES = 8
LINK_RUN_MAX_WORDS = 3
LINK_RUN_MAX_CHARS = 30
TAIL_MIN_LINES = 3
PROSE_MIN_WORDS = 8


@dataclass
class _Line:
    """A paragraph under cleaning; passes mark it instead of deleting it."""

    text: str
    dropped_by: tuple[str, str] | None = None  # (pass, pattern)


CleaningPass = Callable[[list[_Line]], None]


def carries_attributed_quote(text: str) -> bool:
    """A quotation (marks, or a dash-introduced speech paragraph) next to a speech verb."""
    quoted = any(c in text for c in _QUOTE_CHARS) or bool(re.match(r"^\s*[–—-]\s", text))
    return quoted and bool(_ATTRIBUTION.search(text))


def is_headline_like(text: str) -> bool:
    """Short, unpunctuated at the end: a headline, a link text or a list item, not prose."""
    stripped = _BULLET.sub("", text).strip()
    words = stripped.split()
    return 0 < len(words) <= 20 and len(stripped) <= 160 and not stripped.endswith(_SENTENCE_END)


def _normal(text: str) -> str:
    return " ".join(_BULLET.sub("", text).split()).casefold()


def _mark(line: _Line, cleaning_pass: str, pattern: str) -> None:
    if line.dropped_by is None and not carries_attributed_quote(line.text):
        line.dropped_by = (cleaning_pass, pattern)


def _lede_pass(lines: list[_Line], title: str | None) -> None:
    """Drop the headline when the extractor repeated it at the top.

    (The standfirst stays: on the benchmark it is as often article text as not.)
    """
    if not title:
        return
    for line in lines[:LEDE_LINES]:
        if _normal(line.text) == _normal(title):
            _mark(line, "lede", "repeated title")


def _pattern_pass(lines: list[_Line], patterns: Sequence[Pattern]) -> None:
    for i, line in enumerate(lines):
        candidate = _BULLET.sub("", line.text).strip()
        for pattern in patterns:
            if pattern.regex.fullmatch(candidate):
                _apply(lines, i, pattern)
                break


def _apply(lines: list[_Line], i: int, pattern: Pattern) -> None:
    label = pattern.name  # the name in boilerplate.yaml, as --explain shows it
    _mark(lines[i], "patterns", label)
    following = lines[i + 1 :]
    if pattern.drop == "tail" and _near_end(i, len(lines)):
        for line in following:
            _mark(line, "patterns", label)
    elif pattern.drop in ("block", "teaser"):
        bare = _is_bare_heading(lines[i].text)
        headlines = 0
        for line in following:
            if not (_is_list_item(line.text) or (bare and is_headline_like(line.text))):
                break
            _mark(line, "patterns", label)
            headlines += 1
        rest = following[headlines:]
        if pattern.drop == "teaser" and headlines and rest:
            _mark(rest[0], "patterns", f"{label} (teaser blurb)")


def _is_bare_heading(text: str) -> bool:
    """ "Related:" or "Don't miss", as opposed to "Related: <a story's headline>"."""
    return ":" not in text.strip().rstrip(":")


def _is_short(text: str) -> bool:
    """A few words, counted so that unspaced scripts (Japanese, Chinese) are not one word."""
    return len(text.split()) <= LINK_RUN_MAX_WORDS and len(text) <= LINK_RUN_MAX_CHARS


def _is_list_item(text: str) -> bool:
    return bool(_BULLET.match(text))


def _near_end(i: int, total: int) -> bool:
    return total - i <= 6 or i >= total * 2 / 3


def _repeated_headline_pass(lines: list[_Line]) -> None:
    """A headline printed twice within a few lines is a teaser for another story.

    (Repeats far apart are more often a table or a recipe than a teaser, so they stay.)
    """
    last_seen: dict[str, int] = {}
    for i, line in enumerate(lines):
        if (
            not is_headline_like(line.text)
            or len(line.text.split()) < TEASER_MIN_WORDS
            or line.text.startswith(_NOT_TEASERS)
        ):
            continue
        key = _normal(line.text)
        if key in last_seen and i - last_seen[key] <= TEASER_MAX_GAP:
            _mark(lines[last_seen[key]], "repeated-headline", "headline repeated nearby")
            _mark(line, "repeated-headline", "headline repeated nearby")
        last_seen[key] = i


def _tail_block_pass(lines: list[_Line]) -> None:
    """Headline-like lines after the last real paragraph are teasers and link lists."""
    live = [line for line in lines if line.dropped_by is None]
    last_prose = max((i for i, line in enumerate(live) if _is_prose(line.text)), default=None)
    if last_prose is None:
        return
    tail = live[last_prose + 1 :]
    if len(tail) >= TAIL_MIN_LINES and all(_is_teaser_headline(line.text) for line in tail):
        for line in tail:
            _mark(line, "tail-block", f"{len(tail)} headline-like lines after the last paragraph")


def _is_teaser_headline(text: str) -> bool:
    words = len(_BULLET.sub("", text).split())
    return is_headline_like(text) and words >= TEASER_MIN_WORDS and not _DIGIT.search(text)


def _is_prose(text: str) -> bool:
    return len(text.split()) >= PROSE_MIN_WORDS and text.rstrip().endswith(_SENTENCE_END)


def _link_run_pass(lines: list[_Line]) -> None:
    """A long run of one-to-three-word lines without figures is a menu or a tag cloud."""
    run: list[_Line] = []
    for line in [*lines, _Line("end of text, not a short line")]:
        if _is_short(line.text) and is_headline_like(line.text) and not _DIGIT.search(line.text):
            run.append(line)
            continue
        if len(run) >= LINK_RUN_MIN_LINES:
            for short in run:
                _mark(short, "link-run", f"run of {len(run)} short lines")
        run = []


def clean_paragraphs(
    paragraphs: Sequence[str],
    *,
    title: str | None,
    patterns: Sequence[Pattern],
) -> tuple[tuple[str, ...], tuple[DroppedLine, ...]]:
    """Run every pass; return the kept paragraphs and what was dropped, by which pass."""
    lines = [_Line(p.strip()) for p in paragraphs if p.strip()]
    passes: list[CleaningPass] = [
        lambda ls: _lede_pass(ls, title),
        lambda ls: _pattern_pass(ls, patterns),
        _repeated_headline_pass,
        _link_run_pass,
        _tail_block_pass,
    ]
    for run in passes:
        run(lines)
    kept = tuple(line.text for line in lines if line.dropped_by is None)
    dropped = tuple(
        DroppedLine(text=line.text, cleaning_pass=line.dropped_by[0], pattern=line.dropped_by[1])
        for line in lines
        if line.dropped_by is not None
    )
    return kept, dropped
