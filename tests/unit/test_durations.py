"""Retry-After as servers send it: delay-seconds or an HTTP date, relative to a given now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.durations import RETRY_AFTER_LIMIT, retry_after_seconds

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("Thu, 01 Jan 2026 12:02:00 GMT", 120.0),
        ("Thursday, 01-Jan-26 12:00:30 GMT", 30.0),  # RFC 850, obsolete but allowed
        ("Thu Jan  1 12:01:00 2026", 60.0),  # asctime: no zone, so UTC
        ("Thu, 01 Jan 2026 12:01:00 -0000", 60.0),  # -0000: UTC
        ("Thu, 01 Jan 2026 13:05:00 +0100", 300.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),  # already past: now
    ],
)
def test_seconds_and_http_dates(value: str, seconds: float) -> None:
    assert retry_after_seconds(value, NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "  ", "soon", "-5", "1e3", "9" * 400, "Thu, 99 Foo"])
def test_absent_or_unreadable_is_none(value: str | None) -> None:
    assert retry_after_seconds(value, NOW) is None


@pytest.mark.parametrize("value", ["9" * 20, "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_hostile_wait_is_at_most_a_year_and_can_be_added_to_now(value: str) -> None:
    seconds = retry_after_seconds(value, NOW)
    assert seconds == RETRY_AFTER_LIMIT
    assert NOW + timedelta(seconds=seconds) > NOW
