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
