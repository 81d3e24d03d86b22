"""clock: ISO timestamps that cannot overflow later, and which dates are believable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.clock import parse_timestamp, plausible, to_iso

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-17T18:00:00Z", datetime(2024, 6, 17, 18, tzinfo=UTC)),
        ("2024-06-17T13:00:00-05:00", datetime(2024, 6, 17, 13, tzinfo=EST)),
        ("2024-06-17", datetime(2024, 6, 17, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("9999-12-31T23:59:59-05:00", None),  # later than any UTC datetime
        ("0001-01-01T00:00:00+01:00", None),  # earlier than any UTC datetime
        ("10000-01-01T00:00:00Z", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    if parsed is not None:
        assert to_iso(parsed)  # storable without overflow


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (NOW - timedelta(days=400), NOW - timedelta(days=400)),
        (NOW + timedelta(hours=1), NOW + timedelta(hours=1)),
        (NOW + timedelta(days=1), NOW + timedelta(days=1)),
        (NOW + timedelta(days=1, seconds=1), None),
        (NOW + timedelta(days=2), None),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=EST), None),
        (datetime(9999, 12, 31, tzinfo=UTC), None),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), None),
        # placeholders seen in pages' JSON-LD: .NET's DateTime.MinValue and Unix time zero
        (datetime(1, 1, 1, tzinfo=UTC), None),
        (datetime(1970, 1, 1, tzinfo=UTC), None),
        (datetime(1971, 6, 1, tzinfo=UTC), datetime(1971, 6, 1, tzinfo=UTC)),
        (datetime(2025, 12, 31, 18), datetime(2025, 12, 31, 18, tzinfo=UTC)),  # naive: UTC
    ],
)
def test_plausible(value: datetime | None, expected: datetime | None) -> None:
    assert plausible(value, NOW) == expected


def test_plausible_answers_in_utc() -> None:
    local = datetime(2025, 12, 31, 13, tzinfo=EST)
    result = plausible(local, NOW)
    assert result == local and result is not None and result.utcoffset() == timedelta(0)
