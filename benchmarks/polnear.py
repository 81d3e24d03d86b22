"""PolNeAR reading and the pure scoring rules of benchmarks/statements_corpus.py.

Nothing here reads the corpus on import, and nothing holds corpus text: the functions take
the article text, `.ann` text and CoreNLP records as arguments. See statements_corpus.py for
what the rules mean and why.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Spans = tuple[tuple[int, int], ...]

WORD = re.compile(r"\w+(?:['’]\w+)*")
_SPAN_LINE = re.compile(r"^T\d+\t(\S+) ([\d ;]+)\t?")
_OPENING = "“„«"
_CLOSING = "”»"
PRONOUNS = frozenset(
    "i me my mine we us our ours you your yours he him his she her hers it its they them "
    "their theirs myself ourselves himself herself itself themselves".split()
)
TITLES = frozenset(
    "mr mrs ms miss dr sen senator rep representative gov governor gen general lt col sgt "
    "rev prof president vice secretary attorney speaker chairman chairwoman spokesman "
    "spokeswoman spokesperson candidate nominee former mayor judge justice ambassador "
    "hon sir lady lord adm admiral".split()
)
PARTICLES = frozenset("de van von der den la le bin al da di du del dos das ter ibn el".split())
STOPWORDS = frozenset(
    "the a an of for and or to in on at by with from that this these those 's ’s".split()
)
NAME_NER = frozenset({"PERSON", "ORGANIZATION"})


@dataclass(frozen=True)
class Relation:
    """One attribution relation of a `.ann` file; spans are (begin, end) into the .txt."""

    rid: str
    kind: str  # "Attribution" or "Attribution-no-source"
    source: Spans
    cue: Spans
    content: Spans


@dataclass
class Nlp:
    """The slim CoreNLP record of one article."""

    tokens: list[tuple[int, int, str, str]] = field(default_factory=list)
    coref: list[list[tuple[int, int, bool]]] = field(default_factory=list)


# --- reading ----------------------------------------------------------------------------


def parse_spans(field_text: str) -> Spans:
    """`12 20;25 30` -> ((12, 20), (25, 30))."""
    parts = []
    for piece in field_text.split(";"):
        begin, end = piece.split()
        parts.append((int(begin), int(end)))
    return tuple(parts)


def parse_ann(ann: str) -> list[Relation]:
    """The relations of a brat file: T lines give spans, E lines link them by role.

    Only lines matching `^[TE]\\d+\\t` are read; span text is never taken from the file.
    """
    spans: dict[str, Spans] = {}
    events: list[tuple[str, list[str]]] = []
    for line in ann.splitlines():
        match = _SPAN_LINE.match(line)
        if match is not None:
            spans[line.split("\t", 1)[0]] = parse_spans(match.group(2).strip())
        elif re.match(r"^E\d+\t", line):
            rid, args = line.split("\t", 2)[:2]
            events.append((rid, args.split()))
    return [_relation(rid, args, spans) for rid, args in events]


def _relation(rid: str, args: list[str], spans: dict[str, Spans]) -> Relation:
    roles: dict[str, list[tuple[int, int]]] = {"Source": [], "Cue": [], "Content": []}
    kind = "Attribution"
    for arg in args:
        role, _, ref = arg.partition(":")
        if role.startswith("Attribution"):
            kind = role
        base = re.sub(r"\d+$", "", role)
        if base in roles:
            roles[base].extend(spans.get(ref, ()))
    return Relation(
        rid=rid,
        kind=kind,
        source=tuple(sorted(roles["Source"])),
        cue=tuple(sorted(roles["Cue"])),
        content=tuple(sorted(roles["Content"])),
    )


def load_corenlp(path: Path) -> dict[str, Nlp]:
    """article name -> its CoreNLP record (articles without a line are simply absent)."""
    records: dict[str, Nlp] = {}
    if not path.exists():
        return records
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                item = json.loads(line)
                records[item["article"]] = Nlp(
                    tokens=[
                        (int(b), int(e), str(pos), str(ner)) for b, e, pos, ner in item["tokens"]
                    ],
                    coref=[
                        [(int(b), int(e), bool(r)) for b, e, r in chain] for chain in item["coref"]
                    ],
                )
    return records


def first_annotations(attributions: Path) -> dict[str, Path]:
    """article name -> its alphabetically first annotator's file."""
    chosen: dict[str, Path] = {}
    for path in sorted(attributions.glob("*.ann")):
        article = path.stem.rsplit("_", 1)[0]
        chosen.setdefault(article, path)
    return chosen


# --- paragraphs as the pipeline sees them ------------------------------------------------


@dataclass(frozen=True)
class Paragraphs:
    """The article's paragraphs, and where each starts in the .txt and in the joined text."""

    texts: tuple[str, ...]
    txt_starts: tuple[int, ...]
    joined_starts: tuple[int, ...]
    headline_end: int  # .txt offset where the body starts

    def to_txt(self, joined: int) -> int:
        """A character offset into "\\n\\n".join(texts) -> the same character in the .txt."""
        index = 0
        for i, start in enumerate(self.joined_starts):
            if start <= joined:
                index = i
        return self.txt_starts[index] + joined - self.joined_starts[index]


def paragraphs(text: str, *, headline: bool = False) -> Paragraphs:
    """Non-blank lines, stripped, as extraction gives them (`clean_paragraphs` strips and
    drops blanks); the headline (first line) only when asked, since the pipeline passes
    `article.paragraphs`, from which the lede pass removes a repeated title."""
    texts: list[str] = []
    txt_starts: list[int] = []
    joined_starts: list[int] = []
    position = joined = 0
    headline_end = -1
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and headline_end < 0:
            headline_end = position + len(line)
            if not headline:
                position += len(line) + 1
                continue
        if stripped:
            texts.append(stripped)
            txt_starts.append(position + line.index(stripped))
            joined_starts.append(joined)
            joined += len(stripped) + 2
        position += len(line) + 1
    return Paragraphs(tuple(texts), tuple(txt_starts), tuple(joined_starts), max(headline_end, 0))


# --- quotation marks -------------------------------------------------------------------


def quoted_intervals(text: str) -> list[tuple[int, int]]:
    """Stretches of text inside double quotation marks (straight or curly), marks excluded.

    Tracked line by line: a quote left open at the end of a paragraph (a quote running over
    several paragraphs) ends there. A closing mark with no quote open is ignored.
    """
    intervals: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        opened: int | None = None
        for i, char in enumerate(line):
            if char in _OPENING or (char == '"' and opened is None):
                opened = position + i + 1
            elif (char in _CLOSING or char == '"') and opened is not None:
                intervals.append((opened, position + i))
                opened = None
        if opened is not None:
            intervals.append((opened, position + len(line)))
        position += len(line) + 1
    return [(b, e) for b, e in intervals if e > b]


def inside(position: int, intervals: Sequence[tuple[int, int]]) -> bool:
    return any(begin <= position < end for begin, end in intervals)


def words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(text)]


def span_words(text: str, spans: Spans) -> list[tuple[int, str]]:
    """(offset, word) of every word in the spans."""
    found: list[tuple[int, str]] = []
    for begin, end in spans:
        found.extend((begin + m.start(), m.group()) for m in WORD.finditer(text[begin:end]))
    return found


def quoted_share(text: str, spans: Spans, quoted: Sequence[tuple[int, int]]) -> float:
    """Share of the words of `spans` that lie inside quotation marks."""
    all_words = span_words(text, spans)
    if not all_words:
        return 0.0
    return sum(inside(offset, quoted) for offset, _ in all_words) / len(all_words)


def quoted_pieces(spans: Spans, quoted: Sequence[tuple[int, int]]) -> Spans:
    """The parts of `spans` inside quotation marks."""
    pieces = []
    for begin, end in spans:
        for q_begin, q_end in quoted:
            low, high = max(begin, q_begin), min(end, q_end)
            if high > low:
                pieces.append((low, high))
    return tuple(sorted(pieces))


def overlap(a: Counter[str], b: Counter[str]) -> int:
    return (a & b).total()


def spans_overlap(a: Spans, b: Spans) -> bool:
    return any(ab < be and bb < ae for ab, ae in a for bb, be in b)


# --- names ---------------------------------------------------------------------------------


def name_tokens(name: str) -> tuple[str, ...]:
    """Case-folded name tokens without titles, possessives, particles' case or stop words."""
    tokens = [re.sub(r"['’]s$", "", w) for w in words(name)]
    return tuple(
        t for t in tokens if len(t) > 1 and t not in TITLES | STOPWORDS and t not in PRONOUNS
    )


def names_match(predicted: str, gold_names: Iterable[tuple[str, ...]]) -> bool:
    """The predicted speaker is the gold source when, after `name_tokens`, one's token set
    contains the other's ("Clinton" ~ "Hillary Clinton", "Hillary Rodham Clinton" ~
    "Hillary Clinton"; "Bill Clinton" !~ "Hillary Clinton")."""
    mine = set(name_tokens(predicted))
    if not mine:
        return False
    for gold in gold_names:
        theirs = set(gold)
        if theirs and (mine <= theirs or theirs <= mine):
            return True
    return False


def is_pronoun(text: str) -> bool:
    tokens = words(text)
    return bool(tokens) and all(t in PRONOUNS for t in tokens)


def _tokens_in(nlp: Nlp, spans: Spans) -> list[tuple[int, int, str, str]]:
    return [t for t in nlp.tokens if any(b <= t[0] and t[1] <= e for b, e in spans)]


def ner_names(text: str, spans: Spans, nlp: Nlp | None) -> list[tuple[str, ...]]:
    """The names inside `spans`: runs of PERSON/ORGANIZATION tokens; failing that, the
    capitalised words; failing that, the content words ("the campaign" -> ("campaign",))."""
    runs: list[list[str]] = []
    previous = ""
    for begin, end, pos, ner in _tokens_in(nlp, spans) if nlp else []:
        if ner in NAME_NER and pos not in ("POS", "PRP", "PRP$"):
            if ner != previous or not runs:
                runs.append([])
            runs[-1].append(text[begin:end])
        previous = ner
    names = [name_tokens(" ".join(run)) for run in runs]
    names = [n for n in names if n]
    if names:
        return names
    joined = " ".join(text[b:e] for b, e in spans)
    capitalised = " ".join(w for w in WORD.findall(joined) if w[0].isupper())
    fallback = name_tokens(capitalised) or name_tokens(joined)
    return [fallback] if fallback else []


def _has_name_token(nlp: Nlp, span: tuple[int, int]) -> bool:
    return any(
        ner in NAME_NER and pos not in ("POS", "PRP", "PRP$")
        for _, _, pos, ner in _tokens_in(nlp, (span,))
    )


def resolve_pronoun(text: str, spans: Spans, nlp: Nlp | None) -> Spans | None:
    """The mention a pronoun source stands for, from the CoreNLP chain that has a mention
    overlapping the source: its representative mention when that holds a PERSON/ORGANIZATION
    token; else the longest non-pronoun mention that holds one; else the representative
    mention if it is not a pronoun ("the campaign"); else None (unresolvable).

    (Preferring named mentions to a bare representative such as "the real estate tycoon"
    departs a little from "take the representative": descriptions rarely name anyone.)"""
    if nlp is None:
        return None
    for chain in nlp.coref:
        if not any(spans_overlap(((b, e),), spans) for b, e, _ in chain):
            continue
        mentions = [(b, e, rep) for b, e, rep in chain if not is_pronoun(text[b:e])]
        named = [(rep, e - b, (b, e)) for b, e, rep in mentions if _has_name_token(nlp, (b, e))]
        if named:
            return (max(named)[2],)
        plain = [(b, e) for b, e, rep in mentions if rep]
        return (plain[0],) if plain else None
    return None


def chain_names(text: str, source: Spans, nlp: Nlp | None) -> list[tuple[str, ...]]:
    """Every name in the coreference chains of a source (a lenient reading of coref)."""
    names: list[tuple[str, ...]] = []
    for chain in nlp.coref if nlp else []:
        if any(spans_overlap(((b, e),), source) for b, e, _ in chain):
            for begin, end, _ in chain:
                if not is_pronoun(text[begin:end]):
                    names.extend(ner_names(text, ((begin, end),), nlp))
    return names


def gold_names(text: str, source: Spans, nlp: Nlp | None) -> list[tuple[str, ...]] | None:
    """What the source is called: a list of name token tuples, or None when the source is a
    pronoun that the coreference chains do not resolve."""
    if not source:
        return []
    if is_pronoun(" ".join(text[b:e] for b, e in source)):
        resolved = resolve_pronoun(text, source, nlp)
        if resolved is None:
            return None
        source = resolved
    return ner_names(text, source, nlp)


# --- broken speaker names ----------------------------------------------------------------

_INITIAL = re.compile(r"^[A-Z]\.$")
_TITLE_TOKEN = re.compile(
    r"^(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Rev|Prof|Adm|Hon)\.?$"
    r"|^(?:President|Senator|Governor|Secretary|Speaker|Chairman|Spokesman|Spokeswoman)$"
)


def broken_reason(speaker: str, ner_words: frozenset[str] | None) -> str | None:
    """Why a predicted speaker is not a plausible person or organisation name, or None.

    In order: `title` (a token is a title: "Mr. Trump", "Sen. Smith"); `initial` (an initial
    stands first, in place of a first name: "E. Clyburn"); `lowercase` (a lowercase-initial
    word that is not a name particle such as de, van, bin, al); `fragment` (a token of one
    letter that is not an initial with a dot); `not-a-name` (no token of the name is tagged
    PERSON or ORGANIZATION anywhere in the article by CoreNLP: "Though", "Democrats",
    "Good"). `ner_words` is None when the article has no CoreNLP record: that test is skipped.
    """
    tokens = [t.strip(",;:()") for t in speaker.split()]
    tokens = [t for t in tokens if t]
    if not tokens:
        return "fragment"
    if any(_TITLE_TOKEN.match(t) for t in tokens):
        return "title"
    if _INITIAL.match(tokens[0]) and len(tokens) == 2:
        return "initial"
    if any(t[0].islower() and t.casefold() not in PARTICLES for t in tokens):
        return "lowercase"
    if any(len(re.sub(r"\W", "", t)) < 2 and not _INITIAL.match(t) for t in tokens):
        return "fragment"
    if ner_words is not None and not any(re.sub(r"['’]s$", "", t) in ner_words for t in tokens):
        return "not-a-name"
    return None


def ner_vocabulary(text: str, nlp: Nlp | None) -> frozenset[str] | None:
    """Every token text tagged PERSON or ORGANIZATION in the article."""
    if nlp is None:
        return None
    return frozenset(text[b:e] for b, e, _, ner in nlp.tokens if ner in NAME_NER)
