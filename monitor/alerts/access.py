"""What the Slack bot token may do: its scopes, as Slack lists them in the `x-oauth-scopes`
header of every answer, against the ones monitor uses. Pure: `SlackSender.check_access` asks
Slack (auth.test) and hands the answer here.
"""

from __future__ import annotations

from dataclasses import dataclass

_ONCE = (
    "after a crash or an ambiguous failure, whether an alert was already posted, so that it is "
    "never posted twice (without it such an alert waits in the outbox for an operator)"
)
# Each scope monitor uses, and what for (the README's Slack setup lists the same).
SCOPES: dict[str, str] = {
    "chat:write": "to post alerts",
    "channels:read": "to find a public channel's ID from its name",
    "groups:read": "to find a private channel's ID from its name",
    "channels:history": f"to check in a public channel, {_ONCE}",
    "groups:history": f"to check in a private channel, {_ONCE}",
}
OPTIONAL_SCOPES: dict[str, str] = {
    "chat:write.public": (
        "to post to public channels the bot has not joined; without it, invite the bot to "
        "each alert channel (/invite @yourbot)"
    ),
}


@dataclass(frozen=True)
class AccessReport:
    """What Slack said about the token at start.

    `scopes` is None when they are unknown (Slack unreachable, or it did not list them);
    `warnings` name each missing scope and what it is needed for; `notes` are optional scopes
    worth knowing about."""

    scopes: frozenset[str] | None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    team: str | None = None
    user: str | None = None

    @property
    def missing(self) -> frozenset[str]:
        """The scopes monitor uses that the token lacks (none known when scopes are unknown)."""
        if self.scopes is None:
            return frozenset()
        return frozenset(SCOPES) - self.scopes


def parse_scopes(header: str | None) -> frozenset[str] | None:
    """`chat:write,channels:history` -> the scopes; None when Slack sent no such header."""
    if header is None:
        return None
    return frozenset(scope.strip() for scope in header.split(",") if scope.strip())


def access_report(
    scopes: frozenset[str] | None, *, team: str | None = None, user: str | None = None
) -> AccessReport:
    """A warning for each scope monitor uses that the token lacks, a note for optional ones."""
    if scopes is None:
        warning = (
            "Slack did not list the token's scopes (no x-oauth-scopes header): cannot check "
            f"them; monitor needs {', '.join(SCOPES)}"
        )
        return AccessReport(None, (warning,), team=team, user=user)
    warnings = tuple(
        f"the Slack token lacks the {scope} scope, needed {purpose}"
        for scope, purpose in SCOPES.items()
        if scope not in scopes
    )
    notes = tuple(
        f"the Slack token has no {scope} scope, which is needed only {purpose}"
        for scope, purpose in OPTIONAL_SCOPES.items()
        if scope not in scopes
    )
    return AccessReport(scopes, warnings, notes, team=team, user=user)


def unreachable(reason: str) -> AccessReport:
    """Slack could not be asked at start: say so, and that alerts wait in the outbox."""
    warning = (
        f"could not check the Slack token ({reason}); alerts wait in the outbox until Slack answers"
    )
    return AccessReport(None, (warning,))
