"""Statement identity across outlets: normalised quotes compared by word containment.

Two statements are the same when the speaker is the same and most content words of the
shorter quote occur in the longer one. Containment (not Jaccard) is what fits: one outlet
prints "first they gotta win this war", another the whole sentence around it; a paraphrase
("Ukraine must first win the war") keeps most content words of the quote it reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.records import Statement
from monitor.text import fold

SAME_STATEMENT = 0.6  # share of the shorter quote's content words found in the other
MIN_CONTENT_WORDS = 2
_BRACKETS = re.compile(r"\[[^\]]*\]")
_WORD = re.compile(r"\w+")
STOPWORDS = frozenset(
    "a an the and or but of to in on at for with by from as is are was were be been "
    "being it its this that these those we our us you your they their them he his she "
    "her i me my not no do does did have has had will would can could should must may "
    "might shall so if then than there here what which who whom whose when where why how "
    "all any some more most very just also only about into over after before up down out "
    "off again further once s t ".split()
)


def normalise_quote(quote: str) -> str:
    """Case, accents, curly quotes, bracketed insertions, ellipses and punctuation folded."""
    text = _BRACKETS.sub(" ", quote).replace("…", " ").replace("’", "'")
    return " ".join(_WORD.findall(fold(text)))


def content_words(quote: str) -> frozenset[str]:
    words = normalise_quote(quote).replace("'", " ").split()
    return frozenset(w for w in words if w not in STOPWORDS and len(w) > 1)


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def shared_needed(a: int, b: int) -> int:
    """The fewest shared content words that make quotes of `a` and `b` content words the
    same statement by containment (exactly as `containment` computes it)."""
    shorter = min(a, b)
    needed = 1
    while needed / shorter < SAME_STATEMENT:
        needed += 1
    return needed


def same_statement(
    speaker_a: str,
    quote_a: str,
    speaker_b: str,
    quote_b: str,
    words_a: frozenset[str] | None = None,
    words_b: frozenset[str] | None = None,
) -> bool:
    """Same speaker, and the shorter quote's content words (mostly) within the longer one.
    The content words may be given, computed once (`content_words`)."""
    if speaker_a != speaker_b:
        return False
    words_a = words_a or content_words(quote_a)
    words_b = words_b or content_words(quote_b)
    if min(len(words_a), len(words_b)) < MIN_CONTENT_WORDS:
        return normalise_quote(quote_a) == normalise_quote(quote_b)
    return containment(words_a, words_b) >= SAME_STATEMENT


def new_quotes(
    statements: Sequence[Statement], known: Sequence[tuple[str, frozenset[str]]]
) -> list[str]:
    """Direct, current quotes of this report that the story has not printed yet; `known`
    are the story's quotes so far, with their content words when known."""
    seen = [words or content_words(quote) for quote, words in known]
    fresh = []
    for statement in statements:
        if statement.background or statement.kind != "direct":
            continue
        words = statement.words or content_words(statement.quote)
        if len(words) >= MIN_CONTENT_WORDS and all(
            containment(words, other) < SAME_STATEMENT for other in seen
        ):
            fresh.append(statement.quote)
            seen.append(words)
    return fresh


SOME_OF_STATEMENT = 0.3  # the share that suffices where the occasion is known to match
MIN_SHARED = 2
RARE_LENGTH = 6  # content words this long are seldom shared by chance


def overlaps(a: frozenset[str], b: frozenset[str]) -> bool:
    """Some words in common: at least two, and a third of the shorter quote's content words
    or two long (rare) ones. Enough for another sentence of the same remarks, or a
    paraphrase of them, where the occasion is known on both sides and the same."""
    shared = a & b
    if len(shared) < MIN_SHARED:
        return False
    rare = [w for w in shared if len(w) >= RARE_LENGTH]
    return containment(a, b) >= SOME_OF_STATEMENT or len(rare) >= MIN_SHARED
