"""Durations: human ones for config and rules (30s, 5m, 1h, 1h30m, 2d, or a bare number of
seconds), and HTTP's Retry-After (seconds or a date)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Annotated

from pydantic import BeforeValidator

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_SECONDS = re.compile(r"\d+(?:\.\d+)?")
RETRY_AFTER_LIMIT = 365 * 86400.0  # a hostile header must not overflow a date (`now + delay`)


def parse_duration(value: object) -> timedelta:
    """Parse `value` into a positive timedelta, or raise ValueError with an example."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip().isdigit():
        seconds = float(value.strip())
    elif isinstance(value, str) and _is_duration(value.strip().lower()):
        text = value.strip().lower()
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    else:
        raise ValueError(f"invalid duration {value!r} (use e.g. 30s, 5m, 1h, 1h30m, 2d)")
    if seconds <= 0:
        raise ValueError(f"duration {value!r} must be positive")
    return timedelta(seconds=seconds)


def _is_duration(text: str) -> bool:
    return bool(text) and _PART.sub("", text).strip() == "" and bool(_PART.search(text))


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header as seconds from `now`: delay-seconds or an HTTP date (RFC 9110).

    None when absent or unreadable; a date already past is 0; at most a year."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        seconds = float(value)
        return min(seconds, RETRY_AFTER_LIMIT) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # `-0000`: UTC, says RFC 5322
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), RETRY_AFTER_LIMIT)


def parse_since(value: str, now: datetime) -> datetime:
    """A point in the past for `--since`: a duration back from `now` (30d, 12h), an ISO
    date (2026-01-31: its start, UTC) or date and time (no zone: UTC); ValueError else."""
    text = value.strip()
    if not text.isdigit():  # a bare number would be seconds: more likely a mistyped year
        try:
            return now - parse_duration(text)
        except OverflowError:  # further back than dates go: everything
            return datetime.min.replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"invalid date {value!r} (use a date like 2026-01-31, a date and time like "
            "2026-01-31T08:00, or a duration back from now like 30d or 12h)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
