"""The fast RSS/Atom path agrees with feedparser on every corpus feed it accepts."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.feeds.fast import parse_plain_feed
from monitor.feeds.parse import parse_with_feedparser
from tests.integration.test_feed_corpus import CORPUS, corpus_files

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_fast_path_agrees_with_feedparser() -> None:
    accepted, disagreements = 0, []
    for path in corpus_files():
        body = path.read_bytes()
        url = f"http://feeds.example/{path.relative_to(CORPUS)}"
        fast = parse_plain_feed(body, url, now=NOW)
        if fast is None:
            continue
        accepted += 1
        slow = parse_with_feedparser(body, url=url, headers={"content-type": "text/xml"}, now=NOW)
        mine = [(e.key, e.url, e.title) for e in fast.entries]
        theirs = [(e.key, e.url, e.title) for e in slow.entries]
        # a date feedparser could not read, the fast path may; where both have one, they agree
        pairs = zip(fast.entries, slow.entries, strict=False)
        if any(b.published is not None and a.published != b.published for a, b in pairs):
            disagreements.append((path.name, "dates"))
        if mine != theirs or fast.title != slow.title:
            disagreements.append((path.name, mine[:2], theirs[:2], fast.title, slow.title))
    assert accepted > 100  # the fast path takes the plain feeds
    assert disagreements == [], disagreements[:5]
