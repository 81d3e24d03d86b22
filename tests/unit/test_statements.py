"""Statement extraction on the seeds (gold from acceptance.yaml) and the labelled passages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.demo import sample_pages
from monitor.extraction import extract_article
from monitor.statements import extract_statements, load_speakers
from monitor.statements.extract import is_background
from tests.conftest import DATA, REPO

SPEAKERS = load_speakers(REPO / "rules" / "speakers.yaml")
LABELLED = yaml.safe_load((DATA / "statements" / "labelled.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(sample_pages()))
def test_every_gold_statement_of_the_seeds(name: str, acceptance: dict[str, Any]) -> None:
    article = extract_article(sample_pages()[name], url=f"https://n.example/{name}")
    found = extract_statements(article.paragraphs, SPEAKERS)
    for gold in acceptance[name.removesuffix(".html")]["statements"]:
        matches = [s for s in found if gold["quote"] in s.quote and s.speaker == gold["speaker"]]
        assert matches, (gold["speaker"], gold["quote"])
        assert matches[0].kind == gold["kind"]
        assert matches[0].role is not None
        start, end = matches[0].start, matches[0].end
        assert article.text[start:end] == matches[0].quote


def test_roles_come_from_the_article() -> None:
    article = extract_article(sample_pages()["000_e335b56b504d9d62.html"], url="https://n.example/")
    roles = {s.speaker: s.role for s in extract_statements(article.paragraphs, SPEAKERS)}
    assert roles["Karine Jean-Pierre"] == "White House spokeswoman"
    assert roles["Antony Blinken"] == "U.S. Secretary of State"


def _pairs(text: str) -> list[tuple[str, str]]:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return [(s.speaker, s.quote) for s in extract_statements(paragraphs, SPEAKERS)]


@pytest.mark.parametrize("item", LABELLED, ids=[i["id"] for i in LABELLED])
def test_labelled_passages(item: dict[str, Any]) -> None:
    found = _pairs(item["text"])
    gold = [(g["speaker"], g["quote"]) for g in item["statements"]]
    assert len(found) == len(gold), found
    for (speaker, quote), (gold_speaker, gold_quote) in zip(found, gold, strict=True):
        assert speaker == gold_speaker and gold_quote in quote


def test_labelled_set_is_large_enough() -> None:
    assert len(LABELLED) >= 40


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("Biden pledged   to Zelensky in April.", True),
        ("In June, Kirby said  .", True),
        ("Kirby said   at the briefing on Monday.", False),
        ("The summit will be held later in July, and Blinken stated that it matters.", False),
        ("as Blinken put it ", True),
    ],
)
def test_background_quotes(context: str, expected: bool) -> None:
    assert is_background(context) is expected


def test_speaker_file_errors_name_the_line(tmp_path: Path) -> None:
    from monitor.errors import RuleError

    path = tmp_path / "speakers.yaml"
    path.write_text("speakers:\n  - name: A B\n    alias: [x]\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"speakers.yaml:3: speakers.0.alias: unknown key"):
        load_speakers(path)
