"""Speaker names as printed: what is the name, what is the title or role around it.

`Sen. Chuck Grassley` is Chuck Grassley with the title Sen.; `Trump attorney Alan Garten` is
Alan Garten, an attorney; `Clinton's communications director, Jennifer Palmieri` is
Palmieri, not Clinton. Particles (`von der`, `bin`) count only as whole words before a
name word, and sentence-start words (`Now`, `Though`) are never part of a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from monitor.statements.lexicon import lexicon

_UPPER = "A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ"
_ABBREVIATED = "|".join(
    re.escape(t) for t in lexicon().titles if " " not in t and len(t) <= 5 and t.isalpha()
)
# A name word: capitalised; with its full stop only when an initial or an abbreviated title
# (`E.`, `U.S.`, `Sen.`); any other full stop ends the sentence, not the name.
NAME_WORD = (
    rf"(?:(?:[{_UPPER}]\.){{1,3}}(?![\w’'])|(?:{_ABBREVIATED}|Jr|Sr|St)\.|[{_UPPER}][\w’'\-]*)"
)
_INITIAL = re.compile(rf"^[{_UPPER}]\.?$")
_POSSESSIVE = re.compile(r"[’']s?$")
_COMPLEMENT = frozenset("in at from on to with for".split())  # prepositions after a head


def particles_pattern() -> str:
    names = sorted(lexicon().particles, key=len, reverse=True)
    return "|".join(re.escape(p) for p in names)


# A run of name words; a particle only as a whole word with a name word after it.
NAME = rf"{NAME_WORD}(?:\s+(?:(?:{particles_pattern()})\s+)*{NAME_WORD})*"


@dataclass(frozen=True)
class PrintedName:
    """A name as the text prints it, split into the person's name and what precedes it."""

    name: str  # the name words only: `Chuck Grassley`, `E. Clyburn`, `Kirby`
    title: str | None = None  # `Sen.`, `Trump attorney`
    gender: str | None = None  # "f" / "m" when the title or role says it
    organisation: bool = False


def is_title(word: str) -> bool:
    return word.rstrip(".") in _TITLE_WORDS


_TITLE_WORDS = frozenset(w for t in lexicon().titles for w in t.split())


@lru_cache(maxsize=4096)
def split_name(raw: str) -> PrintedName | None:
    """The person (or organisation) in a printed phrase, with the title in front of it.

    None when nothing in it can be a name: only titles, function words or lower-case words.
    """
    words = raw.replace("\u00a0", " ").split()
    lex = lexicon()
    # a possessive ends a name that is not the speaker: keep what comes after the last one
    cut = max((i + 1 for i, w in enumerate(words[:-1]) if _POSSESSIVE.search(w)), default=0)
    prefix, words = words[:cut], words[cut:]
    words = [w.strip(",;:()") for w in words]
    words = [w for w in words if w]
    # `Republicans in Florida`, `a spokeswoman for the committee`: the head comes before
    cut_at = next((i for i, w in enumerate(words) if w in _COMPLEMENT and i > 0), len(words))
    words = words[:cut_at]
    # trailing function words (`Democrats Though`) and possessives are not the name
    while words and (is_function_word(words[-1]) or words[-1].islower()):
        words = words[:-1]
    start = 0
    for i, word in enumerate(words[:-1]):
        lower = word.islower() and word not in lex.particles
        if is_title(word) or lower or is_function_word(word) or is_role_noun(word):
            start = i + 1  # the name is what follows the last title or role word
    title_words, name_words = words[:start], words[start:]
    if not name_words:
        return None
    if name_words[-1].rstrip(".").casefold() in lex.organisations:
        return PrintedName(" ".join(name_words), None, None, organisation=True)
    while name_words and name_words[0] in lex.particles:
        name_words = name_words[1:]
    if not name_words or any(is_function_word(w) for w in name_words):
        return None
    title = " ".join(prefix + title_words).strip(" ,") or None
    return PrintedName(" ".join(name_words).strip(" ."), title, _gender_of(prefix + title_words))


def is_role_noun(word: str) -> bool:
    """`spokeswoman`, `aide`: what a person is, never part of their name."""
    return word.casefold().strip(".,") in lexicon().role_nouns


def is_function_word(word: str) -> bool:
    """`Though`, `Now`: a closed-class word, never part of a name (acronyms aside)."""
    if len(word.strip(".,")) > 1 and word.strip(".,").isupper():
        return False  # an acronym (`WHO`, `US`), not the word it spells
    return word.casefold().strip(".,") in lexicon().function_words


def _gender_of(words: list[str]) -> str | None:
    genders = lexicon().gender
    for word in reversed(words):
        found = genders.get(word.rstrip(".,")) or genders.get(word.rstrip(".,").casefold())
        if found:
            return found
    return None
