"""Human durations for config and rules: 30s, 5m, 1h, 1h30m, 2d (or a bare number of seconds)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


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
