"""On what occasion a statement was made, as the text says: the day (`said on Monday`,
`at a briefing on 17 June`, `yesterday`), the kind of occasion (a briefing, an interview
with CNN, a speech, a post on X: `lexicon/occasions.txt`) and the place (`told reporters in
Brussels`). A story is one speaker on one occasion: two reports of similar words on
different days, or at a briefing and in an interview, are two statements.

Only phrases attached to the act of speaking count: in "Kirby said the talks would begin on
Friday" Friday is when the talks begin, not when Kirby spoke. The publication date is used
only to resolve what the text says (`on Monday`, `yesterday`) into a day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from monitor.records import Statement
from monitor.statements.lexicon import lexicon
from monitor.text import fold

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_WD = "|".join(_WEEKDAYS)
_MO = "|".join(_MONTHS)
_ORD = r"(?:st|nd|rd|th)?"
_DAY = re.compile(
    rf"\b(?:(?P<rel>on|last|this|next|late on|early on)\s+)?(?P<weekday>{_WD})\b"
    rf"|\b(?:on\s+)?(?P<d1>\d{{1,2}}){_ORD}\s+(?P<m1>{_MO})\b(?:,?\s+(?P<y1>\d{{4}}))?"
    rf"|\b(?:on\s+)?(?P<m2>{_MO})\s+(?P<d2>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<y2>\d{{4}}))?"
    r"|\b(?P<yesterday>yesterday)\b"
    r"|\b(?P<today>today|tonight|this morning|this afternoon|this evening)\b",
    re.I,
)
_WORD = re.compile(r"[\w’']+")
# Words that make the day that follows a plan, not the day of speaking: "would begin on
# Friday", "will travel on Tuesday", "is due to arrive on Monday", "until Friday".
_FUTURE = frozenset(
    "will would shall 'll ’ll going plan plans planned planning scheduled due expected "
    "expects set until till by from before after since next upcoming ahead".split()
)
# How far (in words) a day may sit from the speech word it belongs to.
_REACH = 8
_PLATFORMS = re.compile(
    r"\b(?:on|via|in a post on|in a tweet on)\s+(?P<platform>X|Twitter|Truth Social|Facebook|"
    r"Instagram|Telegram|Threads|Bluesky|LinkedIn|Weibo|YouTube|TikTok|VK)\b"
)
_OUTLET = re.compile(
    r"\binterview (?:with|on|to) (?:the\s+)?(?P<outlet>(?:[A-Z][\w&.’'-]*)"
    r"(?:\s+(?:[a-z]+\s+){0,2}[A-Z][\w&.’'-]*)*)"
)
_SETTING_PREPOSITIONS = frozenset("at in during on to via from".split())
_SETTING_VERBS = frozenset(
    "told spoke speaking tweeted posted testified addressed interviewed wrote".split()
)
_NOT_PLACES = frozenset(
    _WEEKDAYS
    + _MONTHS
    + "english french german spanish russian ukrainian arabic chinese parliament congress "
    "the a an his her their its response reply particular part addition short full "
    "public private person".split()
)
_LEXICON = Path(__file__).parent / "lexicon" / "occasions.txt"


@dataclass(frozen=True)
class Occasion:
    """What the text says of when and where something was said; None where it says nothing.

    `kind` is a kind of occasion from `lexicon/occasions.txt` (`press`, `interview`,
    `speech`, `post`…), `outlet` the interviewer or platform (`cnn`, `x`), `place` the town
    the speaking was in (`brussels`)."""

    day: date | None = None
    kind: str | None = None
    outlet: str | None = None
    place: str | None = None

    @property
    def setting(self) -> str | None:
        """Kind, outlet and place as one text (`interview|cnn|`), None when all unknown: what
        `Statement.setting` holds."""
        if not (self.kind or self.outlet or self.place):
            return None
        return f"{self.kind or ''}|{self.outlet or ''}|{self.place or ''}"

    @classmethod
    def of(cls, day: date | None, setting: str | None) -> Occasion:
        """The occasion of a stored statement: its day and its `setting` text."""
        kind, outlet, place = ((setting or "") + "||").split("|")[:3]
        return cls(day, kind or None, outlet or None, place or None)

    @property
    def known(self) -> bool:
        return self.day is not None


@cache
def _phrases() -> tuple[tuple[tuple[str, ...], str], ...]:
    """(words, kind) of every occasion phrase, longest first."""
    found = []
    for line in _LEXICON.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, phrase = line.split("\t")
            found.append((tuple(phrase.split()), kind.strip()))
    return tuple(sorted(found, key=lambda p: -len(p[0])))


@cache
def _speech_words() -> frozenset[str]:
    """Words of the act of speaking: cue verbs in every form and the nouns of occasions."""
    nouns = {w for words, _ in _phrases() for w in words if len(w) > 3 and w not in _FUTURE}
    return frozenset(lexicon().cue_verbs | nouns | {"according", "remarks", "comments"})


def _words(text: str) -> list[str]:
    return [fold(w).replace("’", "'") for w in _WORD.findall(text)]


def _attached(sentence: str, start: int, end: int) -> bool:
    """Whether the phrase at sentence[start:end] belongs to the act of speaking: the nearest
    speech word before it (within reach) comes before any word of plans (`would`, `will`,
    `until`); or the sentence opens with it and a speech word follows (`On Monday, Kirby
    said…`)."""
    before = _words(re.split(r"[“”\";]", sentence[:start])[-1])[-_REACH:]
    speech = _speech_words()
    for i in range(len(before) - 1, -1, -1):
        if before[i] in _FUTURE:
            return False
        if before[i] in speech:  # but not `would begin`, `will be speaking`
            return not _FUTURE & set(before[max(0, i - 2) : i])
    if len(_words(sentence[:start])) > 3:
        return False
    for word in _words(sentence[end:])[:_REACH]:
        if word in _FUTURE:
            return False
        if word in speech:
            return True
    return False


def occasion_date(sentence: str, published: date) -> date | None:
    """The day the sentence says the statement was made, relative to the article's date."""
    for match in _DAY.finditer(sentence):
        if match.group("rel") and match.group("rel").lower() == "next":
            continue
        if not _attached(sentence, match.start(), match.end()):
            continue
        try:
            day = _resolve(match, published)
        except OverflowError:  # an article dated at the ends of time (year 1 or 9999)
            continue
        if day:
            return day
    return None


def _resolve(match: re.Match[str], published: date) -> date | None:
    if weekday := match.group("weekday"):
        back = (published.weekday() - _WEEKDAYS.index(weekday.lower())) % 7
        if match.group("rel") and match.group("rel").lower() == "last" and back == 0:
            back = 7
        return published - timedelta(days=back)
    if match.group("m1"):
        return _in_year(int(match.group("d1")), match.group("m1"), match.group("y1"), published)
    if match.group("m2"):
        return _in_year(int(match.group("d2")), match.group("m2"), match.group("y2"), published)
    if match.group("yesterday"):
        return published - timedelta(days=1)
    return published  # today, tonight, this morning


def _in_year(day: int, month_name: str, year: str | None, published: date) -> date | None:
    month = _MONTHS.index(month_name.lower()) + 1
    try:
        candidate = date(int(year) if year else published.year, month, day)
    except ValueError:
        return None
    if year or candidate <= published + timedelta(days=1):
        return candidate
    try:
        return candidate.replace(year=published.year - 1)
    except ValueError:  # 29 February
        return None


def occasion_kind(sentence: str) -> tuple[str | None, str | None]:
    """The kind of occasion the sentence names for the speaking, and the outlet (of an
    interview) or platform (of a post), when it names them."""
    platform = _PLATFORMS.search(sentence)
    if platform and _attached(sentence, platform.start(), platform.start()):
        return "post", fold(platform.group("platform"))
    words = _words(sentence)
    spans = [m.span() for m in _WORD.finditer(sentence)]
    for i in range(len(words)):
        for phrase, kind in _phrases():
            n = len(phrase)
            found = tuple(words[i : i + n])
            if found != phrase and found != (*phrase[:-1], phrase[-1] + "s"):
                continue
            before = words[max(0, i - 4) : i]
            if any(w in _FUTURE for w in before[-3:]):
                break
            if phrase[0] not in _SETTING_VERBS | _SETTING_PREPOSITIONS and not (
                _SETTING_PREPOSITIONS & set(before)
            ):
                continue
            if before and before[-1].endswith("'s") and kind != "press":
                break  # `Macron's interview`: someone else's occasion
            return kind, _outlet(sentence, spans[i][0]) if kind == "interview" else None
    return None, None


def _outlet(sentence: str, start: int) -> str | None:
    """The interviewer: the last capitalised name after `interview with`, without `the`
    or a possessive (`with Britain's Economist magazine`, `with British weekly The
    Economist`: `economist`)."""
    found = _OUTLET.search(re.sub(r"[“”\"]", " ", sentence), start)
    if not found:
        return None
    names = [w.strip(".,;:") for w in found.group("outlet").split() if w[0].isupper()]
    names = [
        w
        for w in names
        if not w.endswith(("'s", "’s")) and w != "The" and fold(w) not in _NOT_PLACES
    ]
    return fold(" ".join(names)) or None


_PLACE = re.compile(r"\bin (?P<place>[A-Z][a-z’'-]+(?: [A-Z][a-z’'-]+)?)")


def occasion_place(sentence: str) -> str | None:
    """The town of the speaking, when `in Town` follows a speech word (`told reporters in
    Brussels`, `at a briefing in Geneva`)."""
    speech = _speech_words()
    for match in _PLACE.finditer(sentence):
        place = match.group("place")
        if fold(place.split()[0]) in _NOT_PLACES:
            continue
        before = _words(sentence[: match.start()])[-2:]
        if before and (before[-1] in speech or before[-2:] == ["told", before[-1]]):
            return fold(place)
    return None


def occasion_of(sentence: str, published: date) -> Occasion:
    """Everything the sentence says of the occasion of the speaking."""
    kind, outlet = occasion_kind(sentence)
    return Occasion(occasion_date(sentence, published), kind, outlet, occasion_place(sentence))


def merge(first: Occasion, then: Occasion) -> Occasion:
    """`first`, with what it leaves unknown taken from `then`."""
    same_kind = first.kind is None or first.kind == then.kind
    return Occasion(
        first.day or then.day,
        first.kind or then.kind,
        first.outlet or (then.outlet if same_kind else None),
        first.place or then.place,
    )


def same_occasion(a: Occasion | date | None, b: Occasion | date | None) -> bool:
    """Unknown facts do not separate statements; two known, different days (more than a day
    apart: time zones), kinds of occasion, interviewers or places do."""
    x = a if isinstance(a, Occasion) else Occasion(day=a)
    y = b if isinstance(b, Occasion) else Occasion(day=b)
    if x.day and y.day and abs((x.day - y.day).days) > 1:
        return False
    if x.outlet and y.outlet and not set(x.outlet.split()) & set(y.outlet.split()):
        return False
    return all(p is None or q is None or p == q for p, q in ((x.kind, y.kind), (x.place, y.place)))


def matching_occasion(a: Occasion, b: Occasion) -> bool:
    """Both days known and one occasion: what lets a report sharing fewer words join."""
    return a.known and b.known and same_occasion(a, b)


def speaker_occasions(
    sentences: Sequence[str],
    speakers: Iterable[str],
    published: date,
    theirs: dict[str, set[str]] | None = None,
) -> dict[str, Occasion]:
    """For each speaker, the occasion the article's sentences naming them give (`John Kirby
    … stated at a press briefing on Monday`), the first sentence saying each fact: the
    occasion of what the article quotes from them, even where the quote's own sentence says
    nothing of it. `theirs` are the sentences of each speaker's statements (`“…,” she said
    on Friday`), which count even where the name is not in them."""
    theirs = theirs or {}
    found: dict[str, Occasion] = {}
    for speaker in speakers:
        surname = speaker.split()[-1]
        occasion = Occasion()
        own = theirs.get(speaker, set())
        for sentence in [*sentences, *sorted(own - set(sentences))]:
            if surname in sentence or sentence in own:
                occasion = merge(occasion, occasion_of(sentence, published))
        found[speaker] = occasion
    return found


def dated(
    statements: Sequence[Statement], sentences: Sequence[str], published: date
) -> tuple[Statement, ...]:
    """The statements with their occasion (`occasion`, the day, and `setting`): what their
    own sentence says, the rest from what the article says of their speaker elsewhere."""
    theirs: dict[str, set[str]] = {}
    for s in statements:
        if not s.background:
            theirs.setdefault(s.speaker, set()).add(s.sentence)
    by_speaker = speaker_occasions(sentences, {s.speaker for s in statements}, published, theirs)
    out = []
    for s in statements:
        occasion = merge(occasion_of(s.sentence, published), by_speaker[s.speaker])
        out.append(replace(s, occasion=occasion.day, setting=occasion.setting))
    return tuple(out)


def occasion(statement: Statement) -> Occasion:
    return Occasion.of(statement.occasion, statement.setting)
