"""The speaker phrase next to a cue verb: `White House press secretary Josh Earnest said`,
`said House Speaker Paul Ryan in a statement`, `said Clinton's communications director,
Jennifer Palmieri`, `the Kremlin said`. Pure functions over the text around a quote.

Walking the words out from the cue verb (rather than one regular expression per shape) is
what lets roles, titles, possessives and appositions come in any order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from monitor.statements.lexicon import PRONOUN_GENDER, lexicon
from monitor.statements.names import is_function_word, is_role_noun

APPOSITION_WORDS = 40  # longest apposition between a name and its cue verb, in tokens
MODIFIERS = 2  # lower-case modifiers in a row before the name (`presidential candidate`)
DESCRIPTION_WORDS = 4  # words between `the` and the noun of a description
PRONOUNS = PRONOUN_GENDER
_TOKEN = re.compile(r"[\w’'\-]+(?:\.(?:[\w’'\-]+\.?)*)?|\S")
_AUX = frozenset(
    "also then later has had have would will was is once previously recently further "
    "again simply only quickly flatly repeatedly later, further, reportedly himself herself "
    "themselves itself".split()
)
# `the notes`, `his call`: after a determiner a cue word is a noun, not a verb
_DETERMINER_BEFORE = re.compile(
    r"\b(?:the|a|an|his|her|their|its|our|my|your|this|that|these|those)\s+$", re.I
)
_LOWER_WORD = re.compile(r"(?<![\w’'\-])[a-z]+(?![\w’'\-])")
_JOINERS = frozenset("of the for and on at to in".split())
_UPPER_START = re.compile(r"[A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ]")
_ABBREVIATIONS = frozenset(
    t for t in lexicon().titles if " " not in t and len(t) <= 5 and t not in ("King", "Pope")
) | frozenset("Jr Sr St Mt Ft Inc Corp Co Ltd".split())


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def bare(self) -> str:
        return self.text.rstrip(".")


def tokens(text: str) -> list[Token]:
    """Words and punctuation; a full stop stays with an abbreviation (`U.S.`, `Sen.`, `E.`)
    and is a token of its own after any other word (a sentence end)."""
    found: list[Token] = []
    for m in _TOKEN.finditer(text):
        word = m.group()
        if word.endswith(".") and not _abbreviation(word):
            found.append(Token(word[:-1], m.start(), m.end() - 1))
            found.append(Token(".", m.end() - 1, m.end()))
        else:
            found.append(Token(word, m.start(), m.end()))
    return found


def cue_positions(text: str) -> Iterator[Token]:
    """The cue verbs in `text` (every form in the lexicon), as tokens."""
    verbs = lexicon().cue_verbs
    for match in _LOWER_WORD.finditer(text):
        before = max(0, match.start() - 8)
        if match.group() in verbs and not _DETERMINER_BEFORE.search(text, before, match.start()):
            yield Token(match.group(), match.start(), match.end())


def is_capitalised(word: str) -> bool:
    return bool(_UPPER_START.match(word))


def _abbreviation(word: str) -> bool:
    """`U.S.`, `Sen.`, `E.`: a full stop that does not end a sentence."""
    bare = word.rstrip(".")
    return "." in bare or (len(bare) == 1 and bare.isupper()) or bare in _ABBREVIATIONS


def _phrase_word(word: str) -> bool:
    """A word that can be part of a speaker phrase: a name word, a particle, a title, a
    lower-case role noun, or a joiner inside a role (`secretary of state`)."""
    lex = lexicon()
    if word.endswith(".") and not _abbreviation(word):
        return False
    if is_capitalised(word):
        return not is_function_word(word)
    low = word.casefold().rstrip(".")
    return (
        low in lex.particles
        or low in lex.role_nouns
        or low in _JOINERS
        or low.removesuffix("’s").removesuffix("'s") in lex.role_nouns
        or word in ("’s", "'s")
    )


def speaker_before(left: str) -> str | None:
    """The speaker phrase that ends `left` (the text just before a cue verb), skipping
    adverbs and auxiliaries (`also`, `has`) and a parenthetical apposition (`Kirby, the
    spokesman for …,`)."""
    words = _without_apposition(tokens(left))
    if not words:
        return None
    last = words[-1].text.casefold()
    if last in PRONOUNS:
        return words[-1].text
    description = _description(words)  # `the influential US daily wrote`, `the host said`
    if description is not None:
        return left[words[description].start : words[-1].end]
    start = len(words)
    while start > 0 and _phrase_word(words[start - 1].text):
        start -= 1
    phrase = words[start:]
    while phrase and phrase[0].text.casefold() in _JOINERS - {"the"}:
        phrase = phrase[1:]
    if not phrase or not any(is_capitalised(t.text) for t in phrase):
        return _organisation_phrase(phrase) if phrase else None
    return left[phrase[0].start : phrase[-1].end]


def _description(words: list[Token]) -> int | None:
    """Where a definite description ending the words starts (`the Texas senator`, `the
    moderator`), when they end in a lower-case noun a few words after `the`."""
    last = words[-1].text
    if not last.islower() or last in _JOINERS or is_function_word(last) or len(last) < 3:
        return None
    for i in range(len(words) - 2, max(-1, len(words) - DESCRIPTION_WORDS - 2), -1):
        word = words[i].text
        if word in ("the", "The"):
            between = [t.text for t in words[i + 1 : -1]]
            plain = all(w.isalnum() or "-" in w for w in between)
            return i if plain and not any(is_function_word(w) for w in between) else None
        if not (word.isalnum() or "-" in word):
            return None
    return None


def _without_apposition(words: list[Token]) -> list[Token]:
    """The words before a cue verb without trailing adverbs (`also`, `has`) and without an
    apposition between two commas (`X, the Y of Z, said`: it belongs to X)."""
    while words and words[-1].text.casefold() in _AUX:
        words = words[:-1]
    if words and words[-1].text == ")":  # `Rep. Paul Ryan (R-WI) said`
        opening = max((i for i, t in enumerate(words) if t.text == "("), default=-1)
        if opening > 0 and len(words) - opening <= APPOSITION_WORDS:
            words = words[:opening]
    if len(words) > 1 and words[-1].text == "," and words[-2].text == ")":
        return _without_apposition(words[:-1])  # `Gov. John Kasich (R-OH), said`
    if words and words[-1].text == ",":
        words = words[: _apposition_start(words)]
    return words


def _apposition_start(words: list[Token]) -> int:
    """Where the apposition before a trailing comma starts: the first comma after a
    capitalised word that opens a lower-case description (`RoseAnn DeMoro, executive
    director of National Nurses United, a union that …, said`), else the last comma."""
    end = len(words) - 1
    commas = [i for i in range(max(0, end - APPOSITION_WORDS), end) if words[i].text == ","]
    for i in commas:
        before, after = words[i - 1].text if i else "", words[i + 1].text
        if is_capitalised(before) and (after.islower() or after in ("A", "An", "The")):
            return i
    return commas[-1] if commas else end


def speaker_after(right: str) -> str | None:
    """The speaker phrase that opens `right` (the text just after a cue verb, as in
    `said House Speaker Paul Ryan in a statement`), with an apposition naming the person
    after a role (`said Clinton's communications director, Jennifer Palmieri`)."""
    words = tokens(right)
    if words and words[0].text.casefold() in PRONOUNS:
        return words[0].text
    if words and words[0].text in _JOINERS - {"the"}:
        return None  # `said in New York`: a place, not the speaker
    end = _phrase_end(words)
    phrase = words[:end]
    while phrase and phrase[-1].text.casefold() in _JOINERS:
        phrase.pop()
    if not phrase:
        return None
    has_name = any(is_capitalised(t.text) and not is_role_noun(t.text) for t in phrase[-1:])
    role_only = not has_name or _ends_possessive(phrase)
    if role_only and end < len(words) - 1 and words[end].text == ",":
        # `said the campaign's chairman, John Podesta`: the name after the role
        rest = speaker_after(right[words[end].end :])
        if rest is not None:
            return right[phrase[0].start : words[end].end] + " " + rest.strip()
    if not any(is_capitalised(t.text) for t in phrase):
        return _organisation_phrase(phrase)
    return right[phrase[0].start : phrase[-1].end]


def _phrase_end(words: list[Token]) -> int:
    """Where the speaker phrase opening `words` ends. Before any name, a few lower-case
    modifiers may come (`Republican presidential candidate Donald Trump`); once a name has
    come, the first word that cannot be in a name ends the phrase."""
    end, named, modifiers = 0, False, 0
    while end < len(words):
        word = words[end].text
        if _phrase_word(word):
            named = named or (is_capitalised(word) and not is_role_noun(word))
            modifiers = 0
        elif not named and word.isalpha() and word.islower() and modifiers < MODIFIERS:
            if is_function_word(word) or word in lexicon().cue_verbs:
                break
            modifiers += 1
        else:
            break
        end += 1
    while end and words[end - 1].text.islower() and not _phrase_word(words[end - 1].text):
        end -= 1  # modifiers that no name followed
    return end


def _ends_possessive(phrase: list[Token]) -> bool:
    return bool(phrase) and phrase[-1].text.endswith(("’s", "'s"))


def _organisation_phrase(phrase: list[Token]) -> str | None:
    """`the ministry`, `the campaign`: a lower-case organisation noun after `the`."""
    if len(phrase) >= 2 and phrase[0].text.casefold() == "the":
        head = phrase[-1].text.casefold()
        if head in lexicon().organisations:
            return " ".join(t.text for t in phrase)
    return None
