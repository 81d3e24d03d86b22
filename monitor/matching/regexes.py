"""Rule regexes: one engine, one set of flags, and a time limit on every search.

A rule's `/regex/` runs over the folded text (case and accents removed), case-insensitively.
The `regex` package runs it rather than `re` because its searches take a timeout: a pattern
that backtracks catastrophically (`/(a|aa)+$/` over `aaaa…b`) costs one search its time limit
instead of pinning a core forever. Its syntax is a superset of `re`'s.
"""

from __future__ import annotations

from functools import lru_cache

import regex

DEFAULT_REGEX_TIMEOUT = 1.0  # seconds per search


class RegexTimeout(Exception):
    """A rule regex ran out of time: the verdict of its rule on this article is unknown.

    Raised rather than returned so that it unwinds the whole rule: `NOT /re/` must not turn
    a timeout into a match.
    """

    def __init__(self, pattern: str) -> None:
        super().__init__(f"/{pattern}/ ran out of time")
        self.pattern = pattern


@lru_cache(maxsize=4096)
def compile_regex(pattern: str) -> regex.Pattern[str]:
    """The pattern as every rule regex runs; raises `regex.error` (with `.pos`) if invalid."""
    return regex.compile(pattern, regex.IGNORECASE)


def regex_search(pattern: str, text: str, timeout: float) -> bool:
    """Whether `pattern` occurs in `text`; RegexTimeout after `timeout` seconds."""
    try:
        return compile_regex(pattern).search(text, timeout=timeout) is not None
    except TimeoutError as e:
        raise RegexTimeout(pattern) from e
