"""Time at the edges: the one place that reads the clock, and ISO 8601 for the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# How far ahead of our clock a date may be and still be believed: a publisher's clock or time
# zone slightly off. Anything later (9999-12-31 placeholders, a wrong year) is unknown.
AHEAD_TOLERANCE = timedelta(days=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(value: datetime | None) -> str | None:
    """UTC ISO 8601, so that string order in SQLite is time order: whole seconds are
    written without a fraction, others with six digits ("…:05+00:00" < "…:05.25…" <
    "…:06+00:00" as strings too)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 timestamp as pages and feeds write it (`Z`, or no zone: UTC), else None.

    None too when it has no UTC equivalent (`9999-12-31T23:59:59-05:00`), so that no later
    conversion overflows. Whether the date is believable is `plausible`'s question.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed if as_utc(parsed) is not None else None


def as_utc(value: datetime) -> datetime | None:
    """`value` in UTC (naive: taken as UTC); None when no datetime can hold it in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31 late in a zone west of UTC, or 0001-01-01 east of it
        return None


# Dates at or before the Unix epoch are placeholders, not publication dates: 0001-01-01 is
# .NET's DateTime.MinValue and 1970-01-01 Unix time zero, both seen in pages' JSON-LD.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)


def plausible(value: datetime | None, now: datetime) -> datetime | None:
    """`value` in UTC if it can be a real publication date: None when it is unknown, cannot be
    held in UTC, lies beyond `now` + AHEAD_TOLERANCE or before EARLIEST (a placeholder or a
    wrong year that would otherwise sort first forever and overflow date arithmetic)."""
    utc = as_utc(value) if value is not None else None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return utc if utc is not None and EARLIEST <= utc <= now + AHEAD_TOLERANCE else None
