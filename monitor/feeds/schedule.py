"""When to poll a feed next: pure decisions from what the feed says and how often it
publishes. The daemon adds jitter; the caller passes `now`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

MAX_HINT = timedelta(days=1)
RECENT_ENTRIES = 10


def publishing_gap(dates: Sequence[datetime]) -> timedelta | None:
    """The median time between the feed's most recent entries, if it dates them."""
    recent = sorted(dates, reverse=True)[:RECENT_ENTRIES]
    if len(recent) < 3:
        return None
    gaps = [(a - b).total_seconds() for a, b in pairwise(recent)]
    return timedelta(seconds=median(gaps))


def next_interval(
    configured: timedelta,
    most: timedelta,
    *,
    gap: timedelta | None,
    ttl: float | None = None,
    max_age: float | None = None,
) -> timedelta:
    """Poll about twice per publishing gap, never sooner than `configured` (politeness), never
    later than `most`; a feed's ttl / sy:updatePeriod / max-age can push it later (to a day)."""
    interval = configured
    if gap is not None:
        interval = min(max(gap / 2, configured), max(most, configured))
    asked = timedelta(seconds=max(ttl or 0.0, max_age or 0.0))
    return max(interval, min(asked, MAX_HINT))
