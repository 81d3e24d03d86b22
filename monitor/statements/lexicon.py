"""The word lists of attribution, read once from the data files in `lexicon/`.

Each file says where its words come from. Keeping them as data (not in the regular
expressions) lets a user or a language pack extend them without touching the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent / "lexicon"
# Subject pronouns a cue verb may follow, with the gender they ask for (None: not resolved).
PRONOUN_GENDER: dict[str, str | None] = {"he": "m", "she": "f", "they": None, "i": None, "we": None}
_CONSONANT_DOUBLING = re.compile(r"[^aeiou][aeiou][bdgklmnprt]$")


def _lines(name: str) -> list[str]:
    text = (_HERE / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _regular_forms(lemma: str) -> set[str]:
    """-s, -ed and -ing forms by the usual spelling rules (`argue` -> `argued`, `arguing`)."""
    if lemma.endswith("e"):
        return {lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        return {lemma + "es", lemma + "ed", lemma + "ing"}
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        return {lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    if len(lemma) <= 4 and _CONSONANT_DOUBLING.search(lemma):  # `snap` -> `snapped`
        return {lemma + "s", lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return {lemma + "s", lemma + "ed", lemma + "ing"}


@dataclass(frozen=True)
class Lexicon:
    cue_verbs: frozenset[str]  # every form: "said", "says", "saying", "told"…
    titles: tuple[str, ...]  # longest first, without their trailing dot
    particles: frozenset[str]
    function_words: frozenset[str]
    role_nouns: frozenset[str]
    organisations: frozenset[str]
    gender: dict[str, str]  # word -> "f" | "m"
    given_names: dict[str, str]  # `Hillary` -> "f", `Taylor` -> "?"


@cache
def lexicon() -> Lexicon:
    forms: set[str] = set()
    for line in _lines("cue_verbs.txt"):
        lemma, *irregular = line.split()
        forms.add(lemma)
        forms.update(irregular if irregular else _regular_forms(lemma))
    titles = {t.rstrip(".") for t in _lines("titles.txt")}
    gender = dict(line.split("\t") for line in _lines("gender.txt"))
    return Lexicon(
        cue_verbs=frozenset(forms),
        titles=tuple(sorted(titles, key=len, reverse=True)),
        particles=frozenset(_lines("particles.txt")),
        function_words=frozenset(w.rstrip(",") for w in _lines("function_words.txt")),
        role_nouns=frozenset(_lines("role_nouns.txt")),
        organisations=frozenset(_lines("organisations.txt")),
        gender={k.rstrip("."): v for k, v in gender.items()},
        given_names=dict(line.split("\t") for line in _lines("given_names.tsv")),
    )
