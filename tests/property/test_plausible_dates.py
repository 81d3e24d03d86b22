"""Property test: whatever date a feed or page claims, `plausible` answers without raising,
and what it keeps is in UTC, no later than tomorrow, and storable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from monitor.clock import AHEAD_TOLERANCE, EARLIEST, plausible, to_iso

zones = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)
)
claimed = st.one_of(st.none(), st.datetimes(), st.datetimes(timezones=zones))
nows = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(claimed, nows)
def test_plausible_is_total_and_bounded(value: datetime | None, now: datetime) -> None:
    kept = plausible(value, now)
    if kept is not None:
        assert value is not None
        assert kept.utcoffset() == timedelta(0)
        assert EARLIEST <= kept <= now + AHEAD_TOLERANCE
        assert kept == (value if value.tzinfo else value.replace(tzinfo=UTC))
        assert to_iso(kept) is not None
