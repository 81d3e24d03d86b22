from __future__ import annotations

from datetime import date

import pytest

from monitor.statements.occasion import occasion_date, same_occasion

TUESDAY = date(2024, 6, 18)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Kirby said at a press briefing on Monday.", date(2024, 6, 17)),
        ("Kirby said on Tuesday.", TUESDAY),
        ("“…,” Kirby said at a White House press briefing on 17 June.", date(2024, 6, 17)),
        ("Kirby said on June 17 that the war must be won.", date(2024, 6, 17)),
        ("Kirby said yesterday.", date(2024, 6, 17)),
        ("Kirby said on December 30.", date(2023, 12, 30)),  # not a future date
        ("Kirby said in an interview.", None),
    ],
)
def test_occasion_date(sentence: str, expected: date | None) -> None:
    assert occasion_date(sentence, TUESDAY) == expected


def test_unknown_days_do_not_separate_statements() -> None:
    assert same_occasion(None, TUESDAY) and same_occasion(TUESDAY, None)
    assert same_occasion(TUESDAY, date(2024, 6, 17))  # time zones: a day apart is one occasion
    assert not same_occasion(TUESDAY, date(2024, 6, 21))


# Occasions as records: invented sentences.
from monitor.records import StoredStatement  # noqa: E402
from monitor.statements.fingerprint import content_words  # noqa: E402
from monitor.statements.occasion import Occasion, occasion_of  # noqa: E402
from monitor.statements.stories import choose_story  # noqa: E402


@pytest.mark.parametrize(
    "sentence",
    [
        "Moreau said the ceasefire talks would begin on Friday.",
        "Moreau will travel to Vilnius on Tuesday, her office said.",
        "The envoy is due to arrive on Thursday, Moreau told reporters.",
        "Moreau said she would meet the envoy next Monday.",
    ],
)
def test_a_day_of_plans_is_not_the_day_of_speaking(sentence: str) -> None:
    assert occasion_date(sentence, TUESDAY) is None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("On Monday, Moreau told reporters the grain deal was dead.", date(2024, 6, 17)),
        ("Moreau told reporters Monday that talks would begin on Friday.", date(2024, 6, 17)),
        ("“We stay,” Moreau said in a speech on 14 June.", date(2024, 6, 14)),
    ],
)
def test_the_day_attached_to_the_speaking(sentence: str, expected: date) -> None:
    assert occasion_date(sentence, TUESDAY) == expected


@pytest.mark.parametrize(
    ("sentence", "kind", "outlet"),
    [
        ("Moreau said at a press briefing on Monday.", "press", None),
        ("Moreau told journalists the deal was dead.", "press", None),
        ("Moreau said in an interview with CNN on Sunday.", "interview", "cnn"),
        ("“We stay,” Moreau wrote on X.", "post", "x"),
        ("Moreau said during the telethon broadcast.", "telethon", None),
        ("Moreau spoke of a gap between this debate and the facts.", None, None),
        ("Moreau said in a speech to parliament.", "speech", None),
    ],
)
def test_kind_of_occasion(sentence: str, kind: str | None, outlet: str | None) -> None:
    found = occasion_of(sentence, TUESDAY)
    assert (found.kind, found.outlet) == (kind, outlet)


def test_place_only_where_the_speaking_was() -> None:
    assert occasion_of("Moreau told reporters in Brussels.", TUESDAY).place == "brussels"
    assert occasion_of("Moreau said the talks in Geneva failed.", TUESDAY).place is None


def test_interview_with_cnn_and_press_conference_are_different_occasions() -> None:
    interview = occasion_of("Moreau said in an interview with CNN on Monday.", TUESDAY)
    conference = occasion_of("Moreau said at a press conference on Monday.", TUESDAY)
    assert interview.day == conference.day
    assert not same_occasion(interview, conference)
    other_outlet = occasion_of("Moreau said in an interview with the BBC on Monday.", TUESDAY)
    assert not same_occasion(interview, other_outlet)
    assert same_occasion(interview, Occasion(day=interview.day))  # unknown kind: compatible


def _stored(
    id: int, story: int | None, quote: str, sentence: str, kind: str = "direct"
) -> StoredStatement:
    found = occasion_of(sentence, TUESDAY)
    return StoredStatement(
        id=id,
        story_id=story,
        speaker="Claire Moreau",
        quote=quote,
        kind=kind,  # type: ignore[arg-type]
        background=False,
        occasion=found.day,
        words=content_words(quote),
        setting=found.setting,
    )


BRIEFING = _stored(
    1,
    7,
    "First we must win this war on the ground, then the alliance can talk about membership",
    "Moreau said at a press briefing on Monday.",
)


def test_telethon_and_briefing_the_same_hour_are_two_stories() -> None:
    telethon = _stored(
        2,
        None,
        "First we must win this war, and then we talk about membership in the alliance",
        "Moreau said during a telethon on Monday.",
    )
    choice = choose_story([telethon], [BRIEFING])
    assert choice.story_id is None and choice.new_key == telethon


def test_another_sentence_of_the_same_briefing_joins() -> None:
    other = _stored(
        3,
        None,
        "Membership in the alliance stays on the table, but the war on the ground comes first",
        "“…,” Moreau told reporters at a briefing on Monday.",
    )
    assert choose_story([other], [BRIEFING]).story_id == 7


def test_a_paraphrase_joins_when_the_occasion_matches() -> None:
    paraphrase = _stored(
        4,
        None,
        "the alliance would discuss membership only after Ukraine had won the fighting",
        "Moreau said at a press briefing on Monday that the alliance would discuss "
        "membership only after Ukraine had won the fighting.",
        kind="indirect",
    )
    assert choose_story([paraphrase], [BRIEFING]).story_id == 7
    undated = _stored(5, None, paraphrase.quote, "Moreau said the alliance would wait.")
    assert choose_story([undated], [BRIEFING]).story_id is None  # few words, no known day


def test_a_story_keeps_the_day_its_first_report_named() -> None:
    undated = _stored(6, 7, BRIEFING.quote, "Moreau said so.")
    friday = _stored(7, None, BRIEFING.quote, "Moreau said in a speech on Friday.")
    assert choose_story([friday], [BRIEFING, undated]).story_id is None


@pytest.mark.parametrize("published", [date.min, date.max])
@pytest.mark.parametrize(
    "sentence",
    ['"We are ready," she said on Monday.', '"We are ready," he said on 3 March.'],
)
def test_an_article_dated_at_the_ends_of_time_has_no_occasion_day_and_no_crash(
    sentence: str, published: date
) -> None:
    """A page dated year 1 or 9999 (a broken date that got through) once made the worker
    fail on `published - 6 days`, five times, until the entry was quarantined."""
    day = occasion_date(sentence, published)
    assert day is None or day <= published
