"""Statement extraction: pure functions from article paragraphs to Statement records.

For each quote (any quote style, a quote running over several paragraphs, or a dash-
introduced speech paragraph) the attribution is looked for, in order:
1. right after the quote: `," Kirby said`, `," said House Speaker Paul Ryan`, `," she told AFP`;
2. before it in the same sentence: `Earnest responded, "…"`, `Zelensky wrote on X: "…"`;
3. a colon introduction: `Chris Cillizza, The Washington Post: "…"`, then `according to X`;
4. a follow-on quote: a quoted sentence right after an attributed one, or a paragraph that
   is only a quote, continues the previous speaker.
The speaker phrase is read by statements/phrases.py, split into name and title by
statements/names.py and resolved (surnames, initials, pronouns) by statements/people.py.
Reported speech without quotes (`Kirby said that …`) gives indirect statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from monitor.records import Statement
from monitor.statements import patterns as p
from monitor.statements.lexicon import PRONOUN_GENDER, lexicon
from monitor.statements.names import PrintedName, is_title, split_name
from monitor.statements.people import People, read_people
from monitor.statements.phrases import (
    Token,
    cue_positions,
    speaker_after,
    speaker_before,
    tokens,
)
from monitor.statements.roles import article_role
from monitor.statements.speakers import SpeakerList

MIN_QUOTE_WORDS = 3
AFTER_REACH = 200  # characters after a quote where its attribution is looked for
ENDED_QUOTE_CUE_WORDS = 3  # `“We lost.” Htay Oo said`: a cue this close still attributes
SUBJECT_REACH = 40  # characters before a cue verb where a separated subject is looked for
_QUOTE_MARK = re.compile(r"[“”\"«»„]")
_NAME_RE = re.compile(p.NAME)
_PREPOSITIONS = frozenset("in on at to from with by for of about against into over".split())
_LEADING_ARTICLE = re.compile(r"^\s*(?:(?:A|An|The)\s+)?")
BACKGROUND_DISTANCE = 40  # a time phrase this close to the speech verb dates the statement
_OPEN_MARK = ("“", '"', "«", "„")
_TITLE_BEFORE = re.compile(
    r"(?:\b(?:on|in|of|titled|called|dubbed|named|book|show|film|movie|series|program|"
    r"programme|column|album|song|headlined)\s*)$",
    re.I,
)


@dataclass
class _Context:
    """What the text has told us so far: the people it names, and the last speaker."""

    speakers: SpeakerList
    people: People
    last_speaker: str | None = None
    last_at: int = 0  # where the last speaker was named (or meant)
    organisations: set[str] = field(default_factory=set)
    roles: dict[str, str | None] = field(default_factory=dict)  # from the speaker list
    found_roles: dict[str, str | None] = field(default_factory=dict)  # settled per article
    printed_titles: dict[str, str] = field(default_factory=dict)  # title printed with a name
    text: str = ""


@dataclass(frozen=True)
class _Who:
    """A resolved speaker: a person's canonical name, or an organisation."""

    name: str
    organisation: bool = False


def extract_statements(
    paragraphs: Sequence[str], speakers: SpeakerList | None = None
) -> list[Statement]:
    """Every direct and indirect statement in the article, in text order."""
    text = "\n\n".join(paragraphs)
    speaker_list = speakers or SpeakerList([])
    context = _Context(speakers=speaker_list, people=read_people(text, speaker_list), text=text)
    found: list[Statement] = []
    offset = 0
    previous: tuple[str, int] | None = None
    carried: str | None = None  # the speaker of a quote still open at a paragraph's end
    for paragraph in paragraphs:
        embedded = _embedded_post(paragraph, offset, previous, context, text)
        if embedded is not None:
            found.append(embedded)
        else:
            statements = list(_paragraph(paragraph, offset, context, text, found, carried))
            found.extend(statements)
            carried = _still_open(paragraph, statements) or _colon_intro(paragraph, offset, context)
        previous = (paragraph, offset)
        offset += len(paragraph) + 2
    return found


def _colon_intro(paragraph: str, offset: int, context: _Context) -> str | None:
    """`Trump boomed:` closing a paragraph introduces the quote that opens the next one."""
    if not paragraph.rstrip().endswith(":"):
        return None
    begin = _sentence_start(paragraph, len(paragraph.rstrip()) - 1)
    who = _attribution_before(paragraph[begin:].rstrip(), offset + begin, context)
    return who.name if who is not None else None


def _still_open(paragraph: str, statements: list[Statement]) -> str | None:
    """A paragraph ending inside a quote (no closing mark) continues into the next one."""
    marks = _QUOTE_MARK.findall(paragraph)
    opens = sum(1 for m in marks if m in "“«„")
    closes = sum(1 for m in marks if m in "”»")
    if opens > closes and statements and statements[-1].kind == "direct":
        return statements[-1].speaker
    return None


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
    who = _resolve(credit.group("who"), context, offset + credit.start())
    if who is None or len(body.split()) < MIN_QUOTE_WORDS:
        return None
    return _statement(who, body, "direct", body, start, start + len(body), text, context)


def _paragraph(
    paragraph: str,
    offset: int,
    context: _Context,
    text: str,
    found: list[Statement],
    carried: str | None,
) -> Iterator[Statement]:
    dash = p.DASH_SPEECH.match(paragraph)
    if dash and not paragraph.lstrip("–—- ").startswith(_OPEN_MARK):
        yield from _dash_speech(paragraph, dash, offset, context, text)
        return
    quotes = _quotes(paragraph)
    quoted_spans = [(q.start, q.end) for q in quotes]
    previous: _Who | None = None
    for index, quote in enumerate(quotes):
        who, tight = _attribute(paragraph, quotes, index, offset, context)
        if who is None and index == 0 and carried and not paragraph[: quote.start].strip():
            who = _Who(carried, carried in context.organisations)  # after `X said:` ¶ "…"
        if who is None and _follows_on(paragraph, quotes, index):
            who = previous
            if who is None and index == 0:
                who = _continuing(carried, found, paragraph, offset, context)
        if who is None:
            continue
        statement = _direct(paragraph, quote, offset, who, context, text, tight)
        if statement is not None:
            previous = who
            yield statement
    yield from _indirect(paragraph, offset, context, quoted_spans, text)


@dataclass(frozen=True)
class _Quote:
    start: int  # of the opening mark
    end: int  # after the closing mark (or the paragraph's end for an open quote)
    body_start: int
    body: str


def _quotes(paragraph: str) -> list[_Quote]:
    doubles = [
        _Quote(m.start(), m.end(), m.start("body"), m.group("body"))
        for m in p.DOUBLE_QUOTE.finditer(paragraph)
    ]
    singles = [
        _Quote(m.start(), m.end(), m.start("body"), m.group("body"))
        for m in p.SINGLE_QUOTE.finditer(paragraph)
        if not any(d.start <= m.start() < d.end for d in doubles)
    ]
    found = sorted(doubles + singles, key=lambda q: q.start)
    tail = found[-1].end if found else 0
    opener = re.search(r"[“«„]", paragraph[tail:])
    if opener is not None and not _QUOTE_MARK.search(paragraph[tail + opener.end() :]):
        # a quote that runs on into the next paragraph (no closing mark here)
        start = tail + opener.start()
        found.append(_Quote(start, len(paragraph), start + 1, paragraph[start + 1 :]))
    return found


def _attribute(
    paragraph: str, quotes: list[_Quote], index: int, offset: int, context: _Context
) -> tuple[_Who | None, bool]:
    """The quote's speaker, and whether the attribution follows the quote at once (then
    even a two-word quote is one: `"Funding secured," Musk said`)."""
    quote = quotes[index]
    next_start = quotes[index + 1].start if index + 1 < len(quotes) else len(paragraph)
    after = paragraph[quote.end : min(next_start, quote.end + AFTER_REACH)]
    ended = quote.body.rstrip()[-1:] in ".!…" and after.lstrip()[:1].isupper()
    ended = ended and not _cue_within(after, ENDED_QUOTE_CUE_WORDS)
    # `… “ISIS’ best recruiter.” She also said`: the quote ended its sentence; what follows
    # is the next sentence's subject, not this quote's speaker
    who = None if ended else _attribution_after(after, offset + quote.end, context)
    if who is not None:
        return who, True
    begin = quotes[index - 1].end if index > 0 else 0
    begin = max(begin, _sentence_start(paragraph, quote.start))
    before = paragraph[begin : quote.start]
    return _attribution_before(before, offset + begin, context), False


def _cue_within(text: str, words: int) -> bool:
    """A cue verb among the first `words` words (`“…” Trump said.`)."""
    head = " ".join(text.split()[:words])
    return next(cue_positions(head), None) is not None


def _attribution_after(after: str, at: int, context: _Context) -> _Who | None:
    """`," Kirby said`, `," said Kirby`, `," the Kremlin said in a statement`."""
    end = p.SENTENCE_END.search(after)
    clause = after[: end.start() if end else len(after)]
    stripped = clause.lstrip(" ,.;:—–-")
    if len(clause) - len(stripped) > 4 or not stripped:
        return None
    shift = at + len(clause) - len(stripped)
    for cue in cue_positions(stripped):
        left = stripped[: cue.start]
        if not left.strip() or left.rstrip().endswith(","):  # `," said Kirby`, `… , said Kunin`
            phrase = speaker_after(stripped[cue.end :])
            if phrase is not None or not left.strip():
                return _resolve(phrase, context, shift + cue.end) if phrase else None
        phrase = speaker_before(left)
        if phrase is None or not _covers(left, phrase):
            return None
        return _resolve(phrase, context, shift + left.rindex(phrase))
    return None


def _covers(left: str, phrase: str) -> bool:
    """The speaker phrase is all there is between the quote and the cue verb (`,"
    White House press secretary Josh Earnest said`), an apposition after it aside."""
    head = left[: left.rindex(phrase)]
    return not any(
        w.islower() and w not in ("the", "a", "an") for w in re.findall(r"[\w’'-]+", head)
    )


def _attribution_before(before: str, at: int, context: _Context) -> _Who | None:
    """`Earnest responded, "…"`, `said Spicer: "…"`, `X, The Washington Post: "…"`,
    `According to Rutte, "…"`."""
    cues = list(cue_positions(before))
    if cues and not _QUOTE_MARK.search(before[cues[-1].end :]):
        found = _cue_subject(before, cues)
        if found is not None:
            phrase, where = found
            return _resolve(phrase, context, at + where)
    intro = before.rstrip()
    if intro.endswith(":") and len(tokens(intro)) <= 12:
        for part in intro[:-1].split(","):
            candidate = speaker_before(part)
            if candidate is not None and (who := _resolve(candidate, context, at)) is not None:
                return who
    match = p.ACCORDING_TO.search(before)
    if match is not None:
        return _resolve(match.group("who"), context, at + match.start("who"))
    return None


def _cue_subject(before: str, cues: list[Token]) -> tuple[str, int] | None:
    """Who the cue verbs before a quote belong to: the last cue's subject or inverted
    subject; for a participle (`…, arguing, "…"`, `while adding`) the subject of an earlier
    cue or of the sentence; last, a name a few words back (`Kuleba in his turn said`)."""
    for cue in reversed(cues):
        if cue.text.endswith("ing") and before[: cue.start].rstrip().endswith(","):
            opening = _LEADING_ARTICLE.sub("", before)
            phrase = speaker_after(opening) or _first_name(before[: cue.start])
            if phrase is not None:
                return phrase, before.index(phrase)
            continue  # `…, X told reporters, saying "…"`: the earlier cue's subject
        phrase = speaker_before(before[: cue.start])
        if phrase is not None:
            return phrase, before.rindex(phrase, 0, cue.start)
        phrase = speaker_after(before[cue.end :])
        if phrase is not None:
            return phrase, cue.end
        if not cue.text.endswith("ing"):
            break
    phrase, where = _subject_nearby(before, cues[-1].start)
    return (phrase, where) if phrase is not None else None


def _first_name(clause: str) -> str | None:
    """The first name in a clause that is not the object of a preposition (`And then Trump
    went on the attack, saying "…"`): the subject a participle belongs to."""
    for match in _NAME_RE.finditer(clause):
        before = clause[: match.start()].split()
        if before and before[-1].casefold() in _PREPOSITIONS:
            continue
        if split_name(match.group()) is not None and not match.group().endswith(("’s", "'s")):
            return match.group()
    return None


def _subject_nearby(text: str, cue: int) -> tuple[str | None, int]:
    """The last name in the few words before a cue verb, with no clause break between."""
    begin = max(0, cue - SUBJECT_REACH)
    gap_ok = re.compile(r"[^,;:.“”\"]*")
    for match in reversed(list(_NAME_RE.finditer(text, begin, cue))):
        possessive = match.group().endswith(("’s", "'s"))
        if (
            gap_ok.fullmatch(text, match.end(), cue)
            and split_name(match.group())
            and not possessive
        ):
            return match.group(), match.start()
    return None, 0


def _follows_on(paragraph: str, quotes: list[_Quote], index: int) -> bool:
    """An unattributed quote that is a sentence of its own, right after the previous quote
    (`"…," said Low. "The market reaction is…"`) or opening a paragraph that is only a quote."""
    quote = quotes[index]
    begin = quotes[index - 1].end if index > 0 else 0
    between = paragraph[begin : quote.start]
    if index == 0:  # a paragraph that is only a quote
        rest = paragraph[quote.end : quotes[1].start if len(quotes) > 1 else len(paragraph)]
        alone = not between.strip() and not rest.strip(" ,.;:—–-")
        return alone and _is_whole_sentence(quote.body)
    return len(between.strip(" ,.;:—–-")) == 0 or bool(p.SENTENCE_END.search(between + "X"))


def _is_whole_sentence(body: str) -> bool:
    words = body.split()
    return len(words) >= MIN_QUOTE_WORDS and words[0][:1].isupper()


def _continuing(
    carried: str | None, found: list[Statement], paragraph: str, offset: int, context: _Context
) -> _Who | None:
    """A paragraph that is only a quote continues the previous paragraph's speaker."""
    if carried is not None:
        return _Who(carried, carried in context.organisations)
    if found and found[-1].kind == "direct" and paragraph.lstrip().startswith(_OPEN_MARK):
        # the person the paragraph before was about, if named there, else the last speaker
        subject = context.people.recent_subject(offset, None, 1)
        speaker = subject or found[-1].speaker
        return _Who(speaker, speaker in context.organisations)
    return None


def _direct(
    paragraph: str,
    quote: _Quote,
    offset: int,
    who: _Who,
    context: _Context,
    text: str,
    tight: bool = False,
) -> Statement | None:
    raw = quote.body
    body = raw.strip().rstrip(",").strip()
    if not body:
        return None
    before = paragraph[_sentence_start(paragraph, quote.start) : quote.start]
    short = len(body.split()) < MIN_QUOTE_WORDS
    if short and not (_adjacent(before) or (tight and _ends_clause(raw))):
        return None
    if _is_title(body, before):
        return None
    sentence = _sentence_around(paragraph, quote.start, quote.end)
    start = offset + quote.body_start + raw.index(body)
    statement = _statement(who, body, "direct", sentence, start, start + len(body), text, context)
    if _is_fragment(before, raw):
        statement = replace(statement, fragment=True)
    return _with_background(statement, sentence.replace(paragraph[quote.start : quote.end], " "))


def _is_fragment(before: str, raw: str) -> bool:
    """A quote inside a sentence of reported speech: it opens mid-clause after a word that is
    not a cue verb, `that` or a colon (`to take "concrete steps…"`, `described as "…"`), and
    does not start like a sentence."""
    words = before.split()
    if not words or before.rstrip().endswith((":", ",")):
        return False
    last = words[-1].strip("(").casefold()
    body = raw.strip()
    whole_sentence = body[:1].isupper() and body.rstrip('”’"')[-1:] in ".!?…,"
    return last not in lexicon().cue_verbs and last != "that" and not whole_sentence


def _ends_clause(raw: str) -> bool:
    """Punctuation inside the closing mark (`"Funding secured,"`): a spoken clause."""
    return raw.rstrip()[-1:] in ",.!?…"


def _with_background(statement: Statement, context: str) -> Statement:
    if not is_background(context):
        return statement
    return replace(statement, background=True)


def _is_title(body: str, before: str) -> bool:
    """`said on "Fox News Sunday."`: the title of a show, book or film, not a quote."""
    words = [w for w in re.findall(r"[\w’']+", body) if len(w) > 3]
    title_case = bool(words) and all(w[0].isupper() for w in words)
    return title_case and len(body.split()) <= 8 and bool(_TITLE_BEFORE.search(before))


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


def _dash_speech(
    paragraph: str, dash: re.Match[str], offset: int, context: _Context, text: str
) -> Iterator[Statement]:
    body = dash.group("body")
    attribution = p.DASH_ATTRIBUTION.search(body)
    raw_who = (attribution.group("who") or attribution.group("who2")) if attribution else None
    if raw_who:
        who = _resolve(raw_who, context, offset + dash.start("body") + attribution.start())  # type: ignore[union-attr]
    else:
        who = _Who(context.last_speaker) if context.last_speaker else None
    if who is None:
        return
    quote = body[: attribution.start()] if attribution else body
    start = offset + dash.start("body")
    yield _statement(
        who, quote.strip(), "direct", paragraph.strip(), start, start + len(quote), text, context
    )


def _indirect(
    paragraph: str, offset: int, context: _Context, quoted: list[tuple[int, int]], text: str
) -> Iterator[Statement]:
    for start, sentence in _sentences(paragraph):
        if any(start <= q_start < start + len(sentence) for q_start, _ in quoted):
            _note_speaker(sentence, offset + start, context)
            continue
        match = p.INDIRECT.search(sentence) or p.INDIRECT_ACCORDING.search(sentence)
        if match is None:
            _note_speaker(sentence, offset + start, context)
            continue
        where = offset + start + match.start("who")
        who = _resolve(match.group("who"), context, where, lone_ok=False)
        if who is None:
            continue
        clause = match.group("clause").strip()
        begin = offset + start + match.start("clause")
        statement = _statement(
            who, clause, "indirect", sentence, begin, begin + len(clause), text, context
        )
        yield _with_background(statement, sentence)


def _note_speaker(sentence: str, at: int, context: _Context) -> None:
    """`Jean-Pierre noted that …` makes that person the `he`/`she` of the next quote."""
    masked = p.QUOTED.sub(lambda m: " " * len(m.group()), sentence)
    for cue in cue_positions(masked):
        phrase = speaker_before(masked[: cue.start])
        if phrase is not None and phrase.casefold() not in PRONOUN_GENDER:
            _resolve(phrase, context, at + masked.rindex(phrase, 0, cue.start), lone_ok=False)
        return


def _named_mid_sentence(word: str, text: str) -> bool:
    """A capitalised word the text also prints inside a sentence (a name, not a common word
    capitalised by the sentence start: `Analysts describe …`)."""
    return re.search(rf"[\w,;] +{re.escape(word)}\b", text) is not None


def _capitalised_role(phrase: str) -> str | None:
    """`the Prime Minister`, `the President`: a title standing for a person named before;
    its last word (lower-cased) is the role to look for."""
    words = [w for w in phrase.split() if w not in ("the", "The")]
    if words and len(words) < len(phrase.split()) and all(is_title(w) for w in words):
        return words[-1].rstrip(".").casefold()
    return None


def _description_head(phrase: str) -> str | None:
    """The role noun heading a description (`the Florida senator` -> `senator`), if the
    phrase is one: it ends in a lower-case role noun."""
    words = phrase.split()
    last = words[-1].strip(".,").casefold() if words else ""
    if not words or not words[-1][:1].islower() or last in lexicon().organisations:
        return None
    if last in lexicon().role_nouns or words[0].casefold() == "the":
        return last
    return None


def _resolve(phrase: str, context: _Context, position: int, lone_ok: bool = True) -> _Who | None:
    """Pronoun -> the nearest fitting person; title + name -> name; surname or initials ->
    the full name met in the article; alias -> canonical; `the ministry` -> organisation."""
    bare = phrase.strip()
    last_word = bare.split()[-1].casefold() if bare.split() else ""
    if last_word in PRONOUN_GENDER:  # `in Washington D.C. He recalled`: the pronoun
        person = _pronoun(PRONOUN_GENDER[last_word], context, position)
    elif (head := _description_head(bare)) is not None:  # `the Texas senator said`
        # only the person the article gave that role: a guess like a pronoun's costs more
        # wrong speakers than it finds quotes (measured on the PolNeAR train split)
        person = context.people.described(head, position)
    elif (role := _capitalised_role(bare)) is not None:  # `the Prime Minister said`
        person = context.people.described(role, position)
    else:
        printed = split_name(bare)
        if printed is None:
            return None
        if printed.organisation:
            context.organisations.add(printed.name)
            return _Who(printed.name, organisation=True)
        person = _person(printed, context, lone_ok)
    if person is None:
        return None
    context.last_speaker, context.last_at = person, position
    return _Who(person)


def _pronoun(gender: str | None, context: _Context, position: int) -> str | None:
    """Whom `he` or `she` means."""
    if gender is None:
        return None  # `they`, `I`, `we`: not resolved
    last = (context.last_speaker, context.last_at) if context.last_speaker else None
    return context.people.pronoun(position, gender, last) or context.last_speaker


def _person(printed: PrintedName, context: _Context, lone_ok: bool) -> str | None:
    person = context.people.canonical(printed.name)
    if person is None and lone_ok and _named_mid_sentence(printed.name, context.text):
        person = printed.name  # `Rubio said.`: a surname the text never gave in full
    if person is None:
        return None
    if printed.title:
        context.printed_titles.setdefault(person, printed.title)
    known = context.speakers.find(person)
    if known is not None:
        context.roles.setdefault(person, known.role)
    return person


def _statement(
    who: _Who,
    quote: str,
    kind: str,
    sentence: str,
    start: int,
    end: int,
    text: str,
    context: _Context,
) -> Statement:
    role = None if who.organisation else _role(who.name, text, context)
    return Statement(
        speaker=who.name,
        role=role,
        quote=quote,
        kind="direct" if kind == "direct" else "indirect",
        sentence=sentence,
        start=start,
        end=end,
        organisation=who.organisation,
    )


def _role(speaker: str, text: str, context: _Context) -> str | None:
    role = article_role(speaker, text, context.speakers, context.found_roles, context.roles)
    return role or context.printed_titles.get(speaker)


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
