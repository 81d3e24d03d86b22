from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.feeds.schedule import next_interval, publishing_gap

T = datetime(2026, 1, 1, tzinfo=UTC)
FIVE_MIN, HOUR = timedelta(minutes=5), timedelta(hours=1)


def test_publishing_gap_is_the_median_of_recent_gaps() -> None:
    dates = [T - timedelta(minutes=m) for m in (0, 20, 40, 60, 500)]
    assert publishing_gap(dates) == timedelta(minutes=20)
    assert publishing_gap(dates[:2]) is None  # too few to tell


def test_interval_follows_publishing_within_bounds() -> None:
    assert next_interval(FIVE_MIN, HOUR, gap=timedelta(minutes=40)) == timedelta(minutes=20)
    assert next_interval(FIVE_MIN, HOUR, gap=timedelta(minutes=2)) == FIVE_MIN  # polite floor
    assert next_interval(FIVE_MIN, HOUR, gap=timedelta(days=3)) == HOUR  # ceiling
    assert next_interval(FIVE_MIN, HOUR, gap=None) == FIVE_MIN


def test_feed_hints_push_later_up_to_a_day() -> None:
    assert next_interval(FIVE_MIN, HOUR, gap=None, ttl=7200) == timedelta(hours=2)
    assert next_interval(FIVE_MIN, HOUR, gap=None, max_age=10 * 86400) == timedelta(days=1)
