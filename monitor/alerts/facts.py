"""Alert facts: what an alert says, built from an article and a match. Pure. They are stored
with the outbox row; rendering to Block Kit happens only when the alert is sent."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.feeds.urls import canonical_url
from monitor.records import AlertFacts, Article, Match


def alert_facts(
    article: Article, match: Match, outlet: str, new_quotes: Sequence[str] = ()
) -> AlertFacts:
    """The facts of an alert (or, with `new_quotes`, a follow-up) for `match`."""
    statement = match.statement
    return AlertFacts(
        rule=match.rule,
        title=article.title or article.source,
        url=canonical_url(article.source),
        outlet=outlet,
        published=article.published,
        sentence=match.sentence,
        hits=match.hits,
        priority=match.priority,
        mention=match.mention,
        speaker=statement.speaker if statement else None,
        role=statement.role if statement else None,
        quote=statement.quote if statement else None,
        new_quotes=tuple(new_quotes),
    )
