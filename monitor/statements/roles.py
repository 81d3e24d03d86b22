"""Roles: what the article calls a speaker (`White House spokeswoman Karine Jean-Pierre`,
`John Kirby, the coordinator for strategic communications,`), else the speaker list's role."""

from __future__ import annotations

import re
from collections.abc import Mapping

from monitor.statements import patterns as p
from monitor.statements.speakers import SpeakerList

ROLE_WINDOW = 200
_ROLE_BEFORE_END = re.compile(p.ROLE_BEFORE + r"$")
_ROLE_AFTER = re.compile(
    r",\s+(?:the\s+)?(?P<role>(?:[^,.;]|(?<=[A-Z])\.){5,120}?)"
    r"(?:,|(?<![A-Z])\.(?!\w)|\s+(?:stated|said|told))"
)
_ROLE_START = frozenset(
    "U.S. US UK EU NATO White National Deputy Foreign Defense Defence Secretary Minister "
    "President Prime Press Chief Vice State Kremlin Ukrainian Russian American German "
    "French British European Senior Former Acting General Head ".split()
)


def article_role(
    speaker: str,
    text: str,
    speakers: SpeakerList,
    cache: dict[str, str | None],
    listed: Mapping[str, str | None],
) -> str | None:
    """The role the article gives the speaker (found once per article), else the listed one."""
    if speaker not in cache:
        known = speakers.find(speaker)
        names = [n for n in (speaker, *(known.aliases if known else ())) if n in text]
        found = next((role for name in names if (role := _role_around(name, text))), None)
        cache[speaker] = found or listed.get(speaker)
    return cache[speaker]


def _role_around(name: str, text: str) -> str | None:
    """`<role> <name>` or `<name>, <role>,` at any mention of the name (precompiled
    patterns on a window around each mention: names are too many to compile per name)."""
    position = text.find(name)
    while position >= 0:
        before = _ROLE_BEFORE_END.search(text, max(0, position - ROLE_WINDOW), position)
        if before is not None and (role := _clean_role(before.group("role"))):
            return role
        after = _ROLE_AFTER.match(text, position + len(name), position + len(name) + ROLE_WINDOW)
        if after is not None and (role := _clean_role(after.group("role"))):
            return role
        position = text.find(name, position + len(name))
    return None


def _clean_role(raw: str) -> str | None:
    """Trim a role to where it starts (`administration of U.S. President` -> `U.S. President`)."""
    tokens = " ".join(raw.split()).strip(" ,").split()
    while tokens and tokens[0] not in _ROLE_START and not tokens[0].islower():
        tokens = tokens[1:]
    while tokens and tokens[0] in ("the", "and", "of", "on", "for"):
        tokens = tokens[1:]
    if any(t.endswith(".") and not re.fullmatch(r"(?:[A-Z]\.)+", t) for t in tokens):
        return None  # the match ran across a sentence end
    role = " ".join(tokens)
    has_role_word = re.search(
        r"(?i)\b(spokes\w+|coordinator|minister|secretary|president|chief|ambassador|advis[eo]r|"
        r"envoy|official|commander|chairman|head|director|chancellor|press secretary|general)\b",
        role,
    )
    return role if has_role_word and len(role.split()) <= 14 else None
