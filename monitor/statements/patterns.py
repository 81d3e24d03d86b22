"""The regular expressions of attribution: quote marks, names, speech verbs, time phrases."""

from __future__ import annotations

import re

from monitor.statements.lexicon import lexicon
from monitor.statements.names import NAME as NAME
from monitor.text import SENTENCE_END as SENTENCE_END


def _speech_verbs() -> str:
    forms = sorted(lexicon().cue_verbs, key=len, reverse=True)
    return "|".join(re.escape(f) for f in forms)


SPEECH_VERBS = _speech_verbs()
PRONOUN = r"[Hh]e|[Ss]he"
WHO = rf"(?P<who>{NAME}|{PRONOUN})"
VERB = rf"(?P<verb>{SPEECH_VERBS})"

ROLE_WORDS = (
    r"(?:[A-Z][\w.’'\-]*|of|the|for|and|on|spokes\w+|coordinator|minister|secretary|president|"
    r"chief|ambassador|advis[eo]r|envoy|official|commander|chairman|head|representative|"
    r"director|press|deputy|foreign|defen[cs]e|national|security|council|communications|"
    r"strategic)"
)

# Double quotes in every common style: “…”, "…", „…“, «…», and mixtures of them.
DOUBLE_QUOTE = re.compile(r"[“„«\"](?P<body>[^“”„«»\"]{2,}?)[”“»\"]")
SINGLE_QUOTE = re.compile(r"(?<![\w])‘(?P<body>[^‘]{2,}?)’(?![\w])")
DASH_SPEECH = re.compile(r"^\s*[–—-]\s+(?P<body>.+)$")

# A quoted span (any double-quote style), to skip what speakers say about others.
QUOTED = re.compile(r"[“«„\"][^“”«»„\"]*[”»\"]")
ACCORDING_TO = re.compile(rf"\b[Aa]ccording to (?P<who>{NAME}|him|her)\b")
# A dash paragraph ending in its attribution: `…, he continued.`
DASH_ATTRIBUTION = re.compile(
    rf",\s*(?:{WHO}\s+(?:(?:also|then|later)\s+)?{VERB}|(?P<verb2>said|says|added)\s+(?P<who2>{NAME}))"
    r"[^,]{0,80}\.?\s*$"
)
INDIRECT = re.compile(
    rf"(?:^|[\s(]){WHO}(?:,[^,]{{1,120}},)?\s+(?:(?:also|has|had)\s+)?{VERB}\s+that\s+(?P<clause>[^.;]{{12,}})"
)
INDIRECT_ACCORDING = re.compile(rf"^(?P<clause>[^,;]{{12,}}),\s+according to (?P<who>{NAME})")
# The credit line of an embedded post: `— Volodymyr Zelensky (@ZelenskyyUa) June 17, 2024`.
EMBED_CREDIT = re.compile(
    rf"(?:^|\s)[—–-]\s*(?P<who>{NAME})\s*\(@\w+\)\s*(?:[A-Z][a-z]+\.? \d{{1,2}}, \d{{4}})?\s*$"
)
# A quote recalled from an earlier occasion.
BACKGROUND = re.compile(
    r"\b(?:in|last|earlier(?: this)?|back in|since|previously in)\s+"
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|spring|summer|autumn|fall|winter|(?:19|20)\d\d|year|month|week)\b"
    r"|\bas \w+(?: \w+)? (?:put it|once said|said at the time)\b|\bhad (?:said|told|stated)\b",
    re.I,
)
ROLE_BEFORE = r"(?P<role>(?:" + ROLE_WORDS + r"\s+){1,10})"
