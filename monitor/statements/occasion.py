"""When a statement was made, as the sentence around it says: `at a briefing on Monday`,
`on 17 June`, `yesterday`. Two reports of similar words on different days are two statements."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta

from monitor.records import Statement

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
_WEEKDAY = re.compile(r"\bon (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_DAY_MONTH = re.compile(rf"\bon (\d{{1,2}}) ({'|'.join(_MONTHS)})\b", re.I)
_MONTH_DAY = re.compile(rf"\bon ({'|'.join(_MONTHS)}) (\d{{1,2}})\b", re.I)
_YESTERDAY = re.compile(r"\byesterday\b", re.I)


def occasion_date(sentence: str, published: date) -> date | None:
    """The day the sentence says the statement was made, relative to the article's date."""
    if match := _WEEKDAY.search(sentence):
        back = (published.weekday() - _WEEKDAYS.index(match.group(1).lower())) % 7
        return published - timedelta(days=back)
    if match := _DAY_MONTH.search(sentence):
        return _in_year(int(match.group(1)), match.group(2), published)
    if match := _MONTH_DAY.search(sentence):
        return _in_year(int(match.group(2)), match.group(1), published)
    if _YESTERDAY.search(sentence):
        return published - timedelta(days=1)
    return None


def _in_year(day: int, month_name: str, published: date) -> date | None:
    month = _MONTHS.index(month_name.lower()) + 1
    try:
        candidate = date(published.year, month, day)
    except ValueError:
        return None
    return (
        candidate
        if candidate <= published + timedelta(days=1)
        else candidate.replace(year=published.year - 1)
    )


def same_occasion(a: date | None, b: date | None) -> bool:
    """Unknown days do not separate statements; two known, different days do."""
    return a is None or b is None or abs((a - b).days) <= 1


def speaker_occasions(
    sentences: Sequence[str], speakers: Iterable[str], published: date
) -> dict[str, date | None]:
    """For each speaker, the day of the first sentence that names them with a day
    (`John Kirby … stated at a press briefing on Monday`): the occasion of what the article
    quotes from them, even where the quote's own sentence gives no day."""
    days: dict[str, date | None] = {}
    for speaker in speakers:
        surname = speaker.split()[-1]
        days[speaker] = next(
            (day for s in sentences if surname in s and (day := occasion_date(s, published))),
            None,
        )
    return days


def dated(
    statements: Sequence[Statement], sentences: Sequence[str], published: date
) -> tuple[Statement, ...]:
    """The statements with their `occasion`: the day in their own sentence, else the day the
    article gives for their speaker elsewhere."""
    by_speaker = speaker_occasions(sentences, {s.speaker for s in statements}, published)
    return tuple(
        replace(s, occasion=occasion_date(s.sentence, published) or by_speaker.get(s.speaker))
        for s in statements
    )
