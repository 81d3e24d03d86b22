"""Statement extraction: pure functions from article paragraphs to Statement records.

For each quote (any quote style, or a dash-introduced speech paragraph) the attribution is
looked for after the quote (`," Kirby said`), before it in the same sentence (`Kuleba said,
"…"`, `Zelensky wrote on X: "…"`), then `according to X`. Pronouns and surnames resolve to the
last speaker and to full names met in the article; titles and appositions give the role.
Reported speech without quotes (`Kirby said that …`) gives indirect statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from monitor.records import Statement
from monitor.statements import patterns as p
from monitor.statements.roles import article_role
from monitor.statements.speakers import SpeakerList

MIN_QUOTE_WORDS = 3
BEFORE_WINDOW = 60  # characters before the speech verb where its subject is looked for
_QUOTE_MARK = re.compile(r"[“”\"«»„]")
BACKGROUND_DISTANCE = 40  # a time phrase this close to the speech verb dates the statement
_POSSESSIVE = re.compile(r"[’']s$")
_NAME_SEQUENCE = re.compile(p.NAME)
_NOT_FIRST_NAMES = frozenset(
    "State House Council Security National Secretary President Minister Ministry Foreign "
    "Defense Defence Affairs Office General Strategic Communications Press Department ".split()
)


@dataclass
class _Context:
    """What the text has told us so far: the last speaker, and the people it named."""

    speakers: SpeakerList
    people: dict[str, str]  # surname (folded) -> full name as printed
    last_speaker: str | None = None
    roles: dict[str, str | None] = field(default_factory=dict)  # from the speaker list
    found_roles: dict[str, str | None] = field(default_factory=dict)  # settled per article


def extract_statements(
    paragraphs: Sequence[str], speakers: SpeakerList | None = None
) -> list[Statement]:
    """Every direct and indirect statement in the article, in text order."""
    context = _Context(speakers=speakers or SpeakerList([]), people=_people(paragraphs))
    text = "\n\n".join(paragraphs)
    found: list[Statement] = []
    offset = 0
    previous: tuple[str, int] | None = None
    for paragraph in paragraphs:
        embedded = _embedded_post(paragraph, offset, previous, context, text)
        if embedded is not None:
            found.append(embedded)
        else:
            found.extend(_paragraph(paragraph, offset, context, text))
        previous = (paragraph, offset)
        offset += len(paragraph) + 2
    return found


def _embedded_post(
    paragraph: str, offset: int, previous: tuple[str, int] | None, context: _Context, text: str
) -> Statement | None:
    """An embedded post counts as a statement by its author: the credit line names them,
    and the post is the text before it (same paragraph, or the paragraph before)."""
    credit = p.EMBED_CREDIT.search(paragraph)
    if credit is None:
        return None
    body, start = paragraph[: credit.start()].strip(), offset
    if not body and previous is not None:
        body, start = previous[0].strip(), previous[1]
    speaker = _resolve(credit.group("who"), context)
    if speaker is None or len(body.split()) < MIN_QUOTE_WORDS:
        return None
    return Statement(
        speaker=speaker,
        role=_role(speaker, text, context),
        quote=body,
        kind="direct",
        sentence=body,
        start=start,
        end=start + len(body),
    )


def _people(paragraphs: Sequence[str]) -> dict[str, str]:
    """Full names printed in the article, by surname: `Kirby` -> `John Kirby`."""
    people: dict[str, str] = {}
    for paragraph in paragraphs:
        for match in _NAME_SEQUENCE.finditer(paragraph):
            tokens = [t.rstrip(".,’'") for t in match.group().split()]
            while tokens and (
                tokens[0] in p.NOT_NAMES
                or tokens[0] in _NOT_FIRST_NAMES
                or p.LEADING_TITLE.match(tokens[0] + " ")
            ):
                tokens = tokens[1:]
            if len(tokens) >= 2:
                people.setdefault(tokens[-1].casefold(), " ".join(tokens[-2:]))
    return people


def _paragraph(paragraph: str, offset: int, context: _Context, text: str) -> Iterator[Statement]:
    dash = p.DASH_SPEECH.match(paragraph)
    if dash and not paragraph.lstrip("–—- ").startswith(("“", '"', "«", "„")):
        yield from _dash_speech(paragraph, dash, offset, context, text)
        return
    quoted_spans: list[tuple[int, int]] = []
    for match in _quotes(paragraph):
        quoted_spans.append(match.span())
        statement = _direct(paragraph, match, offset, context, text)
        if statement is not None:
            yield statement
    yield from _indirect(paragraph, offset, context, quoted_spans, text)


def _quotes(paragraph: str) -> list[re.Match[str]]:
    doubles = list(p.DOUBLE_QUOTE.finditer(paragraph))
    singles = [
        m
        for m in p.SINGLE_QUOTE.finditer(paragraph)
        if not any(d.start() <= m.start() < d.end() for d in doubles)
    ]
    return sorted(doubles + singles, key=lambda m: m.start())


def _direct(
    paragraph: str, quote: re.Match[str], offset: int, context: _Context, text: str
) -> Statement | None:
    raw = quote.group("body")
    body = raw.strip().rstrip(",").strip()
    before = paragraph[_sentence_start(paragraph, quote.start()) : quote.start()]
    who = _attribution_after(paragraph[quote.end() : quote.end() + 160]) or _attribution_before(
        before
    )
    if who is None or (len(body.split()) < MIN_QUOTE_WORDS and not _adjacent(before)):
        return None
    speaker = _resolve(who, context)
    if speaker is None:
        return None
    sentence = _sentence_around(paragraph, quote.start(), quote.end())
    return Statement(
        speaker=speaker,
        role=_role(speaker, text, context),
        quote=body,
        kind="direct",
        sentence=sentence,
        start=offset + quote.start("body") + raw.index(body),
        end=offset + quote.start("body") + raw.index(body) + len(body),
        background=is_background(sentence.replace(quote.group(), " ")),
    )


def is_background(context: str) -> bool:
    """A time phrase next to the speech verb (`said in June`, `in April, Biden pledged`)."""
    verbs = [m.end() for m in re.finditer(rf"\b(?:{p.SPEECH_VERBS})\b", context)]
    for phrase in p.BACKGROUND.finditer(context):
        opens_sentence = len(context[: phrase.start()].split()) <= 1  # "In June, Kirby said"
        follows_verb = any(0 <= phrase.start() - verb <= BACKGROUND_DISTANCE for verb in verbs)
        if opens_sentence or follows_verb:
            return True
    return False


def _adjacent(before: str) -> bool:
    """A short quote counts only right after its speech verb (`Biden pledged "…"`)."""
    return bool(re.search(rf"\b(?:{p.SPEECH_VERBS})\b[\s,:]*$", before))


def _attribution_after(after: str) -> str | None:
    match = p.AFTER_QUOTE.match(after)
    if match is None:
        return None
    return match.group("who") or match.group("who2")


def _attribution_before(before: str) -> str | None:
    """The name or pronoun closest before the last speech verb (`…while Lavrov replied: `)."""
    verbs = list(p.SPEECH_VERB.finditer(before))
    if verbs and not _QUOTE_MARK.search(before[verbs[-1].end() :]):
        window = before[: verbs[-1].start()]
        window = window[max(0, len(window) - BEFORE_WINDOW) :]
        names = [m.group() for m in p.NAME_OR_PRONOUN.finditer(window)]
        usable = [n for n in names if n.split()[0] not in p.NOT_NAMES or re.match(p.PRONOUN, n)]
        if usable:
            return usable[-1]
    for regex in (p.COLON_INTRO, p.ACCORDING_TO):
        match = regex.search(before)
        if match is not None:
            return match.group("who")
    return None


def _dash_speech(
    paragraph: str, dash: re.Match[str], offset: int, context: _Context, text: str
) -> Iterator[Statement]:
    body = dash.group("body")
    attribution = p.DASH_ATTRIBUTION.search(body)
    who = (attribution.group("who") or attribution.group("who2")) if attribution else None
    speaker = _resolve(who, context) if who else context.last_speaker
    if speaker is None:
        return
    quote = body[: attribution.start()] if attribution else body
    start = offset + dash.start("body")
    yield Statement(
        speaker=speaker,
        role=_role(speaker, text, context),
        quote=quote.strip(),
        kind="direct",
        sentence=paragraph.strip(),
        start=start,
        end=start + len(quote),
    )


def _indirect(
    paragraph: str, offset: int, context: _Context, quoted: list[tuple[int, int]], text: str
) -> Iterator[Statement]:
    for start, sentence in _sentences(paragraph):
        if any(start <= q_start < start + len(sentence) for q_start, _ in quoted):
            _note_speaker(sentence, context)
            continue
        match = p.INDIRECT.search(sentence) or p.INDIRECT_ACCORDING.search(sentence)
        if match is None:
            _note_speaker(sentence, context)
            continue
        speaker = _resolve(match.group("who"), context)
        if speaker is None:
            continue
        clause = match.group("clause").strip()
        yield Statement(
            speaker=speaker,
            role=_role(speaker, text, context),
            quote=clause,
            kind="indirect",
            sentence=sentence,
            start=offset + start + match.start("clause"),
            end=offset + start + match.start("clause") + len(clause),
            background=is_background(sentence),
        )


def _note_speaker(sentence: str, context: _Context) -> None:
    """`Jean-Pierre noted that …` or `Kaja Kallas met …` makes that person the `he`/`she`
    of the next quote."""
    match = re.search(rf"(?:^|[\s(]){p.WHO}(?:\s+[\w’'\-]+){{0,4}}?\s+{p.VERB}\b", sentence)
    if match is None or re.match(p.PRONOUN, match.group("who")):
        match = p.SUBJECT.match(sentence)
    if match is not None and not re.match(p.PRONOUN, match.group("who")):
        _resolve(match.group("who"), context)


def _resolve(who: str, context: _Context) -> str | None:
    """Pronoun -> last speaker; title + name -> name; surname -> full name; alias -> canonical."""
    if re.fullmatch(p.PRONOUN, who):
        return context.last_speaker
    name = _POSSESSIVE.sub("", p.LEADING_TITLE.sub("", who.strip())).strip(" .,")
    if not name or name.split()[0] in p.NOT_NAMES:
        return None
    known = context.speakers.find(name)
    if known is None and len(name.split()) > 2 and " von " not in name and " de " not in name:
        name = " ".join(name.split()[-2:])  # `Estonian Foreign Minister Margus Tsahkna`
        known = context.speakers.find(name)
    if known is None and " " not in name:
        full = context.people.get(name.casefold())
        if full is None:
            return None  # a lone capitalised word nobody introduced: a place, not a person
        known = context.speakers.find(full)
        name = known.name if known else full
    canonical = known.name if known else name
    context.last_speaker = canonical
    if known is not None:
        context.roles.setdefault(canonical, known.role)
    return canonical


def _role(speaker: str, text: str, context: _Context) -> str | None:
    return article_role(speaker, text, context.speakers, context.found_roles, context.roles)


def _sentence_start(paragraph: str, position: int) -> int:
    starts = [m.end() for m in p.SENTENCE_END.finditer(paragraph, 0, position)]
    return starts[-1] if starts else 0


def _sentence_around(paragraph: str, start: int, end: int) -> str:
    begin = _sentence_start(paragraph, start)
    after = p.SENTENCE_END.search(paragraph, end)
    return paragraph[begin : after.start() + 1 if after else len(paragraph)].strip()


def _sentences(paragraph: str) -> Iterator[tuple[int, str]]:
    start = 0
    for match in p.SENTENCE_END.finditer(paragraph):
        yield start, paragraph[start : match.start() + 1]
        start = match.end()
    if paragraph[start:].strip():
        yield start, paragraph[start:]
