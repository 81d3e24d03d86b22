"""benchmarks/statements_corpus.py: brat parsing, gold kinds, matching and name rules, and a
run on a tiny invented corpus laid out like PolNeAR (every sentence here is made up)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPT = BENCHMARKS / "statements_corpus.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("statements_corpus_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


HEADLINE = "Town council argues over the new bridge"
BODY = [
    "“The bridge will open in May and it will carry buses,” Maria Lindqvist said on Monday.",
    "She added: “We have the money for it.”",
    "Critics called the plan a needless and expensive change for the town, “a slow detour”.",
    "“Nobody asked the fishermen about any of this at all,” a sign by the harbour read.",
]
TEXT = HEADLINE + "\n\n" + "\n\n".join(BODY) + "\n"


def _at(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


def _ann() -> str:
    """Three relations: a quotation with a name, one with a pronoun, a quoted fragment."""
    lines = []
    spans = {
        "T1": ("Source", "Maria Lindqvist"),
        "T2": ("Cue", "said"),
        "T3": ("Content", "“The bridge will open in May and it will carry buses,”"),
        "T4": ("Source", "She"),
        "T5": ("Cue", "added:"),
        "T6": ("Content", "“We have the money for it.”"),
        "T7": ("Source", "Critics"),
        "T8": ("Cue", "called"),
        "T9": ("Content", "the plan a needless and expensive change for the town, “a slow detour”"),
    }
    for tid, (label, fragment) in spans.items():
        begin, end = _at(fragment)
        lines.append(f"{tid}\t{label} {begin} {end}\t(text not needed)")
    lines += [
        "E1\tAttribution:T2 Source:T1 Cue:T2 Content:T3",
        "E2\tAttribution:T5 Content:T6 Cue:T5 Source:T4",
        "E3\tAttribution:T8 Source:T7 Cue:T8 Content:T9",
        "#1\tAnnotatorNotes T1\ta note",
    ]
    return "\n".join(lines) + "\n"


def _corenlp() -> dict[str, object]:
    tokens = []
    for word in ("Maria", "Lindqvist"):
        begin, end = _at(word)
        tokens.append([begin, end, "NNP", "PERSON"])
    she = _at("She")
    chain = [[*_at("Maria Lindqvist"), True], [*she, False]]
    return {"article": "demo_2020-01-01_bridge", "tokens": tokens, "coref": [chain]}


def _corpus(root: Path) -> Path:
    split = root / "train"
    (split / "text").mkdir(parents=True)
    (split / "attributions").mkdir()
    (split / "text" / "demo_2020-01-01_bridge.txt").write_text(TEXT, encoding="utf-8")
    (split / "attributions" / "demo_2020-01-01_bridge_aaaa.ann").write_text(
        _ann(), encoding="utf-8"
    )
    # a second annotator's file, alphabetically later: ignored
    (split / "attributions" / "demo_2020-01-01_bridge_zzzz.ann").write_text("", encoding="utf-8")
    (split / "corenlp_slim.jsonl").write_text(json.dumps(_corenlp()) + "\n", encoding="utf-8")
    return split


def test_brat_parsing_reads_spans_roles_and_discontinuous_content() -> None:
    bench = _module()
    pn = bench.pn
    ann = (
        "T1\tContent 10 20;30 35\tx y\nT2\tCue 21 25\tsaid\nE1\tAttribution:T2 Cue:T2 Content:T1\n"
    )
    (relation,) = pn.parse_ann(ann + "continuation line\n#1\tAnnotatorNotes T1\tnote\n")
    assert relation.content == ((10, 20), (30, 35))
    assert relation.cue == ((21, 25),)
    assert relation.source == ()
    assert relation.kind == "Attribution"


def test_quoted_intervals_and_gold_kinds() -> None:
    bench = _module()
    pn = bench.pn
    quoted = pn.quoted_intervals(TEXT)
    start, end = _at("The bridge will open in May and it will carry buses,")
    assert (start, end) in quoted
    relations = pn.parse_ann(_ann())
    kinds = [bench.gold_kind(r, TEXT, quoted) for r in relations]
    assert kinds == ["quotation", "quotation", "fragment"]
    # a quote left open runs to the end of its paragraph only
    assert pn.quoted_intervals("a “b c\nd e") == [(3, 6)]


def test_paragraphs_map_back_to_text_offsets() -> None:
    pn = _module().pn
    paras = pn.paragraphs(TEXT)
    assert paras.texts == tuple(BODY)  # the headline is left out, as the pipeline does
    joined = "\n\n".join(paras.texts)
    at = joined.index("Critics")
    assert TEXT[paras.to_txt(at) :].startswith("Critics")
    assert pn.paragraphs(TEXT, headline=True).texts[0] == HEADLINE


def test_matching_counts_split_quotes_and_duplicates() -> None:
    bench = _module()
    gold = bench.Gold(
        article="a",
        rid="E1",
        kind="quotation",
        pieces=((0, 60),),
        words=Counter("one two three four five six seven eight".split()),
        source=(),
        cue=(),
        content=(),
        names=[("smith",)],
        pronoun=False,
    )

    def pred(text: str, start: int) -> Any:
        statement = bench.Statement("Smith", None, text, "direct", text, 0, len(text))
        return bench.Predicted("a", statement, ((start, start + 10),), Counter(text.split()))

    first, second, again = (
        pred("one two three four", 0),
        pred("five six seven", 30),
        pred("one two three four", 0),
    )
    found = bench.assign([first, second, again], [gold])
    assert found[id(gold)] == [first, second]  # two halves of a split quote: found
    assert again.verdict == "fp-duplicate"
    alone = pred("one two three", 0)
    assert bench.assign([alone], [gold]) == {}  # under half of the gold quote: not found


def test_name_rules() -> None:
    pn = _module().pn
    assert pn.names_match("Maria Lindqvist", [("lindqvist",)])
    assert pn.names_match("Lindqvist", [("maria", "lindqvist")])
    assert pn.names_match("Sen. Lindqvist", [("maria", "lindqvist")])
    assert not pn.names_match("Anna Lindqvist", [("maria", "lindqvist")])
    assert pn.names_match("Harbour Council", pn.ner_names("the harbour council", ((0, 19),), None))
    ner = frozenset({"Maria", "Lindqvist", "Council"})
    assert pn.broken_reason("Maria Lindqvist", ner) is None
    assert pn.broken_reason("Maria van Lindqvist", ner) is None
    assert pn.broken_reason("Mr. Lindqvist", ner) == "title"
    assert pn.broken_reason("M. Lindqvist", ner) == "initial"
    assert pn.broken_reason("Maria Lindqvist Bridge", ner) is None  # one token is a name
    assert pn.broken_reason("Though Maria", ner) is None
    assert pn.broken_reason("However", ner) == "not-a-name"
    assert pn.broken_reason("Maria said", ner) == "lowercase"
    assert pn.broken_reason("J Lindqvist", ner) == "fragment"


def test_pronoun_sources_resolve_through_coreference() -> None:
    bench = _module()
    pn = bench.pn
    nlp = pn.Nlp(
        tokens=[tuple(t) for t in _corenlp()["tokens"]],  # type: ignore[attr-defined]
        coref=[[tuple(m) for m in _corenlp()["coref"][0]]],  # type: ignore[index]
    )
    assert pn.gold_names(TEXT, (_at("She"),), nlp) == [("maria", "lindqvist")]
    assert pn.gold_names(TEXT, (_at("She"),), None) is None  # no CoreNLP: unresolvable


def test_script_runs_on_a_tiny_corpus(tmp_path: Path) -> None:
    _corpus(tmp_path)
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path), "--json", str(out), "--errors", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "extraction recall" in result.stdout
    figures = json.loads(out.read_text())["train"]
    extraction = figures["extraction"]
    assert figures["articles"] == 1
    assert extraction["gold_quotations"] == 2
    assert extraction["gold_kinds"] == {"quotation": 2, "fragment": 1}
    assert extraction["found"] >= 1
    assert extraction["precision"] == 1.0
    assert figures["attribution"] == 1.0
    assert "top" not in figures["broken_speakers"]  # names from the corpus stay out of files
