"""The people an article names, for resolving surnames, initials and pronouns.

A pre-pass over the whole article finds every printed full name (`James E. Clyburn`), where
it is mentioned, and what the text says of the person's gender (a title such as `Ms.` or
`spokeswoman`, and the `he`/`she` that follow a sentence naming only them). `she` then goes
to the nearest person the text could mean, not simply to whoever was quoted last.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from monitor.statements import names
from monitor.statements.lexicon import lexicon
from monitor.statements.patterns import QUOTED
from monitor.statements.speakers import SpeakerList
from monitor.text import SENTENCE_END, fold

_NAME = re.compile(names.NAME)
_SENTENCE_OR_PARAGRAPH = re.compile(rf"{SENTENCE_END.pattern}|\n\n")
_SUBJECT_PRONOUN = re.compile(r"^(?:[^,.“”\"]{0,25},\s*)?(he|she)\b", re.I)
_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers)\b", re.I)
_GENDER = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}
PRONOUN_REACH = 1500  # characters back from a pronoun where its person is looked for
SUBJECT_SENTENCES = 1  # sentences back where a pronoun's subject antecedent is looked for
PRONOUN_CHAIN = 6  # at most this far back through sentences whose subject is `he`/`she`


@dataclass
class People:
    """Full names by surname, mentions by position, gender votes by person."""

    speakers: SpeakerList
    by_surname: dict[str, str] = field(default_factory=dict)
    mentions: list[tuple[int, str]] = field(default_factory=list)  # (position, full name)
    sentence_starts: list[int] = field(default_factory=list)
    by_word: dict[str, str] = field(default_factory=dict)  # any name word, if one person's
    pronoun_subjects: dict[int, str] = field(default_factory=dict)  # sentence -> "f" / "m"
    titles: dict[str, set[str]] = field(
        default_factory=dict
    )  # person -> title/role words  # surnames printed with a title or role
    votes: dict[str, Counter[str]] = field(default_factory=dict)

    def canonical(self, printed: str) -> str | None:
        """The person a printed name means: a listed speaker, a full name introduced
        earlier (`Clyburn`, `E. Clyburn` -> `James E. Clyburn`), or the name as printed."""
        known = self.speakers.find(printed)
        if known is not None:
            return known.name
        words = printed.split()
        surname = fold(words[-1])
        full = self.by_surname.get(surname)
        if len(words) == 1:
            full = full or self.by_word.get(surname)
            if full is not None:
                known = self.speakers.find(full)
                return known.name if known else full
            return None  # a lone capitalised word nobody introduced: a place, not a person
        if full is not None and _compatible(words, full.split()):
            return full
        return printed

    def described(self, head: str, position: int) -> str | None:
        """The person `the senator` or `the Texas billionaire` means: the nearest one named
        before with that role (`Sen.` counts for `senator`), else None."""
        head = head.casefold()
        for at, person in reversed(self.mentions):
            if at >= position:
                continue
            if position - at > PRONOUN_REACH * 2:
                break
            words = self.titles.get(person, set())
            if any(w == head or (len(w) >= 3 and head.startswith(w)) for w in words):
                return person
        return None

    def gender(self, person: str) -> str | None:
        votes = self.votes.get(person)
        if not votes:
            return None
        (top, count), *rest = [*votes.most_common(2), ("", 0)]
        return top if count > rest[0][1] else None

    def fits(self, person: str, gender: str | None) -> bool:
        known = self.gender(person)
        return gender is None or known is None or known == gender

    def nearest(self, position: int, gender: str | None) -> str | None:
        """The person mentioned closest before `position` whom
        `he`/`she` can mean."""
        for at, person in reversed(self.mentions):
            if at >= position:
                continue
            if position - at > PRONOUN_REACH:
                break
            if self.fits(person, gender):
                return person
        return None

    def pronoun(
        self, position: int, gender: str | None, last: tuple[str, int] | None
    ) -> str | None:
        """Whom `he`/`she` at `position` means: the last speaker when the pronoun fits them
        (or when they are the subject of the sentence just before: a name there outweighs
        what we guessed of their gender), else the nearest person it fits."""
        previous = self.previous_subject(position)
        subject = self.recent_subject(position, gender, SUBJECT_SENTENCES)
        if subject is not None:
            return subject
        if last is not None and (self.fits(last[0], gender) or previous == last[0]):
            return last[0]
        return self.nearest(position, gender)

    def recent_subject(self, position: int, gender: str | None, back: int) -> str | None:
        """The first person named in this sentence or one of the `back` before it (the
        subject, as a rule), nearest first, that the pronoun fits."""
        here = bisect.bisect_right(self.sentence_starts, position) - 1
        sentence = here + 1
        while sentence > 0 and here - sentence < back:
            sentence -= 1
            begin = self.sentence_starts[sentence]
            end = (
                self.sentence_starts[sentence + 1]
                if sentence + 1 < len(self.sentence_starts)
                else position
            )
            first = next(
                ((at, p) for at, p in self.mentions if begin <= at < min(end, position)), None
            )
            if first is not None and self.fits(first[1], gender):
                return first[1]
            if first is None and self.pronoun_subjects.get(sentence) == gender:
                back = min(back + 1, PRONOUN_CHAIN)  # `At 29, she still lives…`: further back
        return None

    def previous_subject(self, position: int) -> str | None:
        """The first person named in the sentence before the one at `position`."""
        here = bisect.bisect_right(self.sentence_starts, position) - 1
        if here < 1:
            return None
        begin, end = self.sentence_starts[here - 1], self.sentence_starts[here]
        return next((p for at, p in self.mentions if begin <= at < end), None)


def _compatible(words: Sequence[str], full: Sequence[str]) -> bool:
    """`E. Clyburn`, `Jim Clyburn` and `James E. Clyburn` are one person; `Bill Clinton` and
    `Hillary Clinton` are not."""
    first = words[0].rstrip(".")
    return any(
        f.rstrip(".") == first or (len(first) == 1 and f.startswith(first)) for f in full[:-1]
    )


def read_people(text: str, speakers: SpeakerList) -> People:
    """Every person the article names outside quotes, with the evidence that it is a person:
    a title or role printed with it, a listed speaker, a known given name, or the surname
    used alone elsewhere (`Kirby` after `John Kirby`; never `War` after `Cold War`)."""
    people = People(speakers=speakers)
    quoted = [(m.start(), m.end()) for m in QUOTED.finditer(text)]
    matches = list(_NAME.finditer(text))
    alone = Counter(fold(m.group()) for m in matches if " " not in m.group())
    spans: list[tuple[int, int, str]] = []
    for match in matches:
        printed = names.split_name(match.group())
        if printed is None or printed.organisation:
            continue
        if not _register(people, printed, alone, _role_before(text, match.start())):
            continue
        person = people.canonical(printed.name)
        if person is None or _inside(quoted, match.start()):
            continue
        spans.append((match.start(), match.end(), person))
        _vote_by_name(people, person, printed)
        role = _role_words(text, match.start())
        if printed.title or role:
            words = {w.strip(".,’'").casefold() for w in (printed.title or "").split()}
            people.titles.setdefault(person, set()).update(words | role)
    people.mentions = [(start, person) for start, _, person in spans]
    people.by_word = _first_names(people.by_surname.values())
    people.sentence_starts = [
        0,
        *(
            m.end()
            for m in _SENTENCE_OR_PARAGRAPH.finditer(text)
            if not _inside(quoted, m.start(), strict=True)  # not inside a quote
        ),
    ]
    people.pronoun_subjects = _pronoun_subjects(text, people.sentence_starts, quoted)
    _vote_by_pronouns(text, spans, people)
    return people


def _register(
    people: People, printed: names.PrintedName, alone: Counter[str], role_before: bool
) -> bool:
    """Note a full name with evidence of a person; True if the mention is of a person."""
    words = printed.name.split()
    listed = people.speakers.find(printed.name) is not None
    titled = printed.title is not None or role_before
    given = words[0] in lexicon().given_names
    if len(words) >= 2 and (listed or titled or given or alone[fold(words[-1])]):
        people.by_surname.setdefault(fold(words[-1]), printed.name)
        return True
    return listed or (len(words) == 1 and fold(words[0]) in people.by_surname)


def _vote_by_name(people: People, person: str, printed: names.PrintedName) -> None:
    """A gendered title (`Ms.`) or a given name mostly given to one gender."""
    votes = people.votes.setdefault(person, Counter())
    if printed.gender:
        votes[printed.gender] += 3
    given = lexicon().given_names.get(printed.name.split()[0], "?")
    if given != "?":
        votes[given] += 2


def _first_names(full_names: Iterable[str]) -> dict[str, str]:
    """Name words other than the surname that belong to one person only (`Tedros`)."""
    owners: dict[str, set[str]] = {}
    for full in full_names:
        for word in full.split()[:-1]:
            if len(word.rstrip(".")) > 1:
                owners.setdefault(fold(word), set()).add(full)
    return {w: next(iter(o)) for w, o in owners.items() if len(o) == 1}


def _inside(spans: list[tuple[int, int]], position: int, strict: bool = False) -> bool:
    """Whether `position` lies in one of `spans` (sorted, not overlapping)."""
    index = bisect.bisect_right(spans, (position, 1 << 62)) - 1
    if index < 0:
        return False
    start, end = spans[index]
    return start < position < end - 1 if strict else start <= position < end


def _pronoun_subjects(
    text: str, starts: list[int], quoted: list[tuple[int, int]]
) -> dict[int, str]:
    """Sentences whose first word outside quotes, within a few words, is `he` or `she`."""
    found: dict[int, str] = {}
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        window = text[start : min(end, start + 40)]
        match = _SUBJECT_PRONOUN.search(window)
        if match is not None and not _inside(quoted, start + match.start()):
            found[index] = _GENDER[match.group(1).casefold()]
    return found


def _role_words(text: str, position: int) -> set[str]:
    """Lower-case role nouns right before a name (`Texas billionaire Ross Perot`)."""
    words = text[max(0, position - 60) : position].split()
    found: set[str] = set()
    for word in reversed(words):
        bare = word.strip(".,’'").casefold()
        if word[:1].islower() and bare not in lexicon().role_nouns:
            break
        found.add(bare)
    return found


def _role_before(text: str, position: int) -> bool:
    """`aide Huma Abedin`, `spokeswoman Karine Jean-Pierre`: a role noun right before."""
    words = text[max(0, position - 40) : position].split()
    return bool(words) and words[-1].casefold() in lexicon().role_nouns


def _vote_by_pronouns(text: str, spans: list[tuple[int, int, str]], people: People) -> None:
    """A pronoun right after a mention, with no other person named in between, votes for
    that person's gender; so does a gendered role noun right before the name."""
    for i, (start, end, person) in enumerate(spans):
        limit = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        limit = min(limit, end + 200)
        pronoun = _PRONOUN.search(text, end, limit)
        if pronoun is not None:
            vote = _GENDER[pronoun.group(1).casefold()]
            people.votes.setdefault(person, Counter())[vote] += 1
        before = text[max(0, start - 40) : start].split()
        gender = lexicon().gender.get(before[-1].rstrip(".,")) if before else None
        if gender:
            people.votes.setdefault(person, Counter())[gender] += 3
