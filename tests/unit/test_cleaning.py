"""Cleaning passes on the seed texts as copied from the web (boilerplate included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.extraction import clean_paragraphs, load_patterns
from monitor.extraction.cleaning import Pattern, carries_attributed_quote
from tests.conftest import DATA

SEEDS = sorted((DATA / "seeds").glob("*.txt"))


def _clean(text: str, patterns: tuple[Pattern, ...] | None = None) -> tuple[str, list[str]]:
    kept, dropped = clean_paragraphs(
        text.splitlines(), title=None, patterns=patterns or load_patterns()
    )
    return "\n".join(kept), [d.text for d in dropped]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_boilerplate_goes_and_article_stays(seed: Path, acceptance: dict[str, Any]) -> None:
    facts = acceptance[seed.stem]
    text, _ = _clean(seed.read_text(encoding="utf-8"))
    for line in facts["boilerplate"]:
        assert line not in text, line
    for fragment in facts["keep"]:
        assert fragment in text, fragment
    for statement in facts["statements"]:
        assert statement["quote"] in text, statement["quote"]


def test_dropped_lines_say_which_pattern_dropped_them() -> None:
    kept, dropped = clean_paragraphs(
        ["Kirby spoke on Monday.", "Advertisement", "He left."],
        title=None,
        patterns=load_patterns(),
    )
    assert kept == ("Kirby spoke on Monday.", "He left.")
    (line,) = dropped
    assert line.text == "Advertisement"
    assert line.cleaning_pass == "patterns" and line.pattern.startswith("advertisement:")


def test_a_quote_attributed_to_a_person_is_never_dropped() -> None:
    patterns = (Pattern(name="greedy", match=".*NATO.*", drop="line"),)
    text, dropped = _clean(
        "“NATO is in Ukraine’s future,” Kirby said.\nNATO summit opens in Vilnius", patterns
    )
    assert "“NATO is in Ukraine’s future,” Kirby said." in text
    assert dropped == ["NATO summit opens in Vilnius"]


def test_tail_pattern_mid_article_drops_only_its_line() -> None:
    lines = ["Support our journalism is truly independent!"] + [
        f"Paragraph {i} of the article goes on." for i in range(12)
    ]
    text, dropped = _clean("\n".join(lines))
    assert dropped == [lines[0]]
    assert "Paragraph 11 of the article goes on." in text


def test_related_block_takes_its_link_list_but_not_the_prose_after_it() -> None:
    text, dropped = _clean(
        "Intro sentence here.\nRelated:\n- Story one headline\n- Story two headline\n"
        "The article resumes with a full sentence."
    )
    assert dropped == ["Related:", "- Story one headline", "- Story two headline"]
    assert "The article resumes with a full sentence." in text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("“First they gotta win this war,” Kirby said.", True),
        ("– We will advance Ukraine’s integration with NATO, he continued.", True),
        ("Kirby said the war must be won first.", False),  # no quotation
        ("“Advertisement”", False),  # quoted but no attribution
    ],
)
def test_attributed_quote_detection(line: str, expected: bool) -> None:
    assert carries_attributed_quote(line) is expected


def test_invalid_pattern_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "boilerplate.yaml"
    bad.write_text("patterns:\n  - name: x\n    match: '(unclosed'\n", encoding="utf-8")
    from monitor.errors import ConfigError

    with pytest.raises(ConfigError, match=r"boilerplate.yaml:3: patterns.0.match: invalid regular"):
        load_patterns(bad)
