"""The regular expressions of attribution: quote marks, names, speech verbs, time phrases."""

from __future__ import annotations

import re

from monitor.text import SENTENCE_END as SENTENCE_END

SPEECH_VERBS = (
    "said|says|say|added|adds|noted|notes|stated|states|told|tells|explained|concluded|argued|"
    "announced|emphasi[sz]ed|stressed|continued|pledged|promised|warned|insisted|wrote|writes|"
    "asked|replied|declared|highlighted|claimed|remarked|tweeted|posted|confirmed|"
    "acknowledged|clarified|underlined|underscored|insisted|admitted|observed|suggested"
)
_NAME_WORD = r"[A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ][\w'’.\-]*"
NAME = rf"{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|de|von|der|van|la|bin))*"
PRONOUN = (
    r"[Hh]e|[Ss]he|[Tt]hey|[Tt]he (?:minister|spokes\w+|president|secretary|official|diplomat|"
    r"chancellor|ambassador|coordinator|envoy)"
)
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

# After a quote: `, Kirby said`, `,” he added.`, `Blinken told MSNBC`, `, said Kirby`.
AFTER_QUOTE = re.compile(
    rf"^\s*[,.:;]?\s*(?:{WHO}(?:,[^,]{{1,80}},)?\s+(?:(?:also|then|later|has|had|would)\s+)?{VERB}\b"
    rf"|(?P<verb2>said|says|added|wrote)\s+(?P<who2>{NAME}))"
)
# Before a quote, in the same sentence: `Kuleba in his turn said, `, `Biden pledged `,
# `Blinken said that the purpose was `, `Zelensky wrote on X: `.
BEFORE_QUOTE = re.compile(
    rf"(?:^|[\s(])(?:{WHO})(?:\s+[\w’'\-]+){{0,6}}?\s+{VERB}\b[^“”\"«»]{{0,160}}$"
)
COLON_INTRO = re.compile(rf"(?:^|\s)(?P<who>{NAME})\s*:\s*$")
ACCORDING_TO = re.compile(rf"\b[Aa]ccording to (?P<who>{NAME}|him|her)\b")
SPEECH_VERB = re.compile(rf"\b(?:{SPEECH_VERBS})\b")
NAME_OR_PRONOUN = re.compile(rf"(?:{NAME})|\b(?:{PRONOUN})\b")
# A sentence that opens with a person (`Kaja Kallas met…`, `U.S. Secretary of State Antony
# Blinken was…`) makes that person the `he`/`she` of what follows.
SUBJECT = re.compile(rf"^\s*(?:(?:{ROLE_WORDS})\s+){{0,8}}?(?P<who>{NAME})\s+[a-z]")
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
NOT_NAMES = frozenset(
    "The A An This That These Those It In On At For And But Or As If When While After "
    "Before During Since Regarding Speaking According However Meanwhile Moreover "
    "Furthermore Also Recall Earlier Later Today Yesterday Monday Tuesday Wednesday "
    "Thursday Friday Saturday Sunday US U.S. UK EU NATO Ukraine Russia Kyiv Kiev Moscow "
    "Washington White House ".split()
)
TITLES = (
    "President|Vice President|Prime Minister|Minister|Foreign Minister|Secretary|"
    "Secretary of State|"
    "Chancellor|Spokesman|Spokeswoman|Spokesperson|Ambassador|General|Gen\\.|Admiral|Senator|"
    "Sen\\.|Rep\\.|Representative|Mr\\.|Mrs\\.|Ms\\.|Dr\\.|Gov\\.|Governor|Mayor|King|Queen"
)
LEADING_TITLE = re.compile(rf"^(?:(?:{TITLES})\s+)+")
ROLE_BEFORE = r"(?P<role>(?:" + ROLE_WORDS + r"\s+){1,10})"
