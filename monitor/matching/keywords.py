"""Sentence helpers for matching and alerts: splitting, whole-word terms, the best sentence."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from monitor.records import Hit
from monitor.text import split_sentences


@lru_cache(maxsize=4096)
def term_regex(term: str) -> re.Pattern[str]:
    """Whole words, case-insensitive; the words of a phrase may be split by any spacing."""
    words = [re.escape(w) for w in term.split()]
    return re.compile(r"(?<!\w)" + r"[\s\u00a0]+".join(words) + r"(?!\w)", re.I)


def _found(term: str, text: str) -> bool:
    return term_regex(term).search(text) is not None


def sentences(paragraphs: Iterable[str]) -> list[str]:
    return [s for p in paragraphs for s in split_sentences(p)]


def best_sentence(paragraphs: Sequence[str], terms: Sequence[str]) -> str:
    """The sentence that shows the match best: the most distinct terms, earliest on a tie."""
    candidates = sentences(paragraphs)
    if not candidates:
        return ""
    scores = [sum(_found(t, s) for t in terms) for s in candidates]
    return candidates[scores.index(max(scores))]


def hit_phrases(hits: Iterable[Hit]) -> list[str]:
    """The words of each hit to look for in a sentence (see Hit.phrases), in hit order.

    A phrase hit in two fields counts twice: a sentence that shows it weighs more.
    """
    return [phrase for hit in hits for phrase in hit.phrases]
