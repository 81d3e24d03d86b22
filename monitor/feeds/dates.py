"""Entry dates, which feeds get wrong: one bad date never costs the feed or its other entries.

Every parse path (fast RSS/Atom, feedparser, JSON Feed, news sitemaps) hands an entry's dates
here, as written and as read. The first believable one is the entry's date; one that could not
be read, has no UTC equivalent or lies beyond tomorrow (`clock.plausible`) is unknown, and a
warning names the feed, the entry and the date as the feed wrote it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from monitor.clock import plausible

log = logging.getLogger(__name__)


def entry_date(
    dates: Iterable[tuple[str | None, datetime | None]],
    *,
    now: datetime,
    feed_url: str,
    entry: str | None,
) -> datetime | None:
    """The first plausible of an entry's (as written, as read) dates, else None."""
    for written, read in dates:
        if read is None and not (written and written.strip()):
            continue  # the feed gives no such date
        usable = plausible(read, now)
        if usable is not None:
            return usable
        log.warning(
            "feed %s: entry %s: date %r is unreadable or later than tomorrow; taken as unknown",
            feed_url,
            entry or "(no link or id)",
            written.strip() if written else str(read),
        )
    return None
