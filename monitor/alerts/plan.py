"""What to queue for a match: a top-level alert, a follow-up in the story's thread, or
nothing. Pure: the writer (runtime/writer.py) gives it what the database knows."""

from __future__ import annotations

from monitor.alerts.facts import alert_facts
from monitor.records import AlertDraft, PlannedAlert
from monitor.statements.fingerprint import new_quotes


def plan_alert(draft: AlertDraft) -> PlannedAlert | None:
    """A new story (or a match without a story) alerts; a later report of a story goes in
    the thread of the story's alert for this rule, unless the rule says `followups: ignore`.
    A rule over its `throttle` this hour holds its top-level alert for the hourly digest."""
    match = draft.match
    channel = match.channel or draft.default_channel
    if draft.root_alert_id is None:
        held = match.throttle is not None and draft.alerts_this_hour >= match.throttle
        facts = alert_facts(draft.article, match, draft.outlet)
        return PlannedAlert(kind="alert", channel=channel, facts=facts, held=held)
    if match.followups == "ignore":
        return None
    fresh = new_quotes(draft.statements, draft.known_quotes)
    facts = alert_facts(draft.article, match, draft.outlet, new_quotes=fresh)
    return PlannedAlert(
        kind="followup", channel=channel, facts=facts, parent_id=draft.root_alert_id
    )
