"""Cleaning passes on the seed texts as copied from the web (boilerplate included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.extraction import clean_paragraphs, load_boilerplate
from monitor.extraction.boilerplate import Pattern
from monitor.extraction.cleaning import carries_attributed_quote
from tests.conftest import DATA

SEEDS = sorted((DATA / "seeds").glob("*.txt"))


def _clean(text: str, patterns: tuple[Pattern, ...] | None = None) -> tuple[str, list[str]]:
    kept, dropped = clean_paragraphs(
        text.splitlines(), title=None, patterns=patterns or load_boilerplate().patterns
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
        patterns=load_boilerplate().patterns,
    )
    assert kept == ("Kirby spoke on Monday.", "He left.")
    (line,) = dropped
    assert line.text == "Advertisement"
    assert line.cleaning_pass == "patterns" and line.pattern == "advertisement"


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
        load_boilerplate(bad)


def test_repeated_title_at_the_top_is_dropped_but_not_later_mentions() -> None:
    title = "Kirby: Ukraine must first win the war"
    kept, dropped = clean_paragraphs(
        ["The war in Ukraine", title, "Body one.", "Body two.", "Body three.", "Body four.", title],
        title=title,
        patterns=(),
    )
    assert kept == (
        "The war in Ukraine",
        "Body one.",
        "Body two.",
        "Body three.",
        "Body four.",
        title,
    )
    assert [(d.cleaning_pass, d.pattern) for d in dropped] == [("lede", "repeated title")]


@pytest.mark.parametrize(
    "line",
    [
        "Source link",
        "Your email address will not be published. Required fields are marked *",
        "Advertisement",
        "Sign up for our daily newsletter to get the news in your inbox.",
        "Thanks for signing up!",
        "Follow The New York Times Opinion section on Facebook, Twitter and Instagram.",
        "CLICK HERE TO GET THE FOX NEWS APP",
        "Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik.",
        "To suggest a correction or clarification, write to us here",
        "(Reporting by Greg Roumeliotis; editing by Ed Osmond)",
        "Keith Bradsher contributed reporting from Hong Kong.",
        "Copyright 2019 Hawaii News Now. All rights reserved.",
        "Published 3 June 2024",
        "UPDATED: Tue., Nov. 19, 2019",
        "Tempo de leitura: 2 minutos",
        "If you buy something through this post, IGN may get a share of the sale.",
        "Photo: Reuters / Valentyn Ogirenko",
        "We use cookies to improve your experience on our site.",
        "Also on rt.com Journalists threatened with arrest as Bolivia purges officials",
    ],
)
def test_line_patterns(line: str) -> None:
    text, dropped = _clean(f"Kirby spoke at the briefing on Monday.\n{line}\nHe then left.")
    assert dropped == [line]
    assert "Kirby spoke at the briefing on Monday." in text and "He then left." in text


@pytest.mark.parametrize(
    "line",
    [
        "Ukraine must first win the war to join NATO, Kirby said at the briefing.",
        "Kirby said the sign-up period for the program ended on Monday.",
        "The agreement was published in 2024 and covers ten years of support for Kyiv.",
        "Readers wrote to the ministry, which said it had approved the new rules.",
    ],
)
def test_prose_is_not_mistaken_for_boilerplate(line: str) -> None:
    _, dropped = _clean(f"Intro sentence here.\n{line}\nClosing sentence here.")
    assert dropped == []


def test_inline_related_link_drops_its_list_but_not_the_next_heading() -> None:
    text, dropped = _clean(
        "Body sentence one.\nRelated post: Pickled Brussels Sprouts Recipe\n"
        "WHAT YOU NEED TO MAKE JAM\nBody sentence two."
    )
    assert dropped == ["Related post: Pickled Brussels Sprouts Recipe"]
    assert "WHAT YOU NEED TO MAKE JAM" in text


def test_teaser_headline_repeated_nearby_goes_but_a_repeated_table_row_stays() -> None:
    teaser = "Shift in Ukrainian Attitudes Toward War Endurance"
    row = "| Pos | Player | Plays | % |"
    text, dropped = _clean(
        f"Body one.\n{teaser}\nOther words.\n{teaser}\nBody two.\n{row}\n| 1 | A | 2 | 3 |\n{row}"
    )
    assert dropped == [teaser, teaser]
    assert text.count(row) == 2


def test_a_long_run_of_short_lines_is_a_menu_but_short_numbered_items_stay() -> None:
    menu = ["Home", "World", "Politics", "Business", "Sport", "Culture", "Opinion", "Video"]
    poll = [f"- {n}% yes" for n in range(10, 90, 10)]
    text, dropped = _clean("\n".join(["Body sentence one.", *menu, "Body sentence two.", *poll]))
    assert dropped == menu
    assert all(item in text for item in poll)


def test_quote_right_next_to_boilerplate_survives() -> None:
    text, dropped = _clean(
        "Advertisement\n“First they gotta win this war,” Kirby said.\nRelated:\n"
        "- “We will advance Ukraine’s integration,” Blinken said\n- Another headline"
    )
    assert "“First they gotta win this war,” Kirby said." in text
    assert "- “We will advance Ukraine’s integration,” Blinken said" in text
    assert dropped == ["Advertisement", "Related:", "- Another headline"]


def test_teaser_headlines_after_the_last_paragraph_are_a_tail_block() -> None:
    teasers = [
        "Zelenskyy announces signing of security agreements with US",
        "Biden lays out vision for Ukraine peace without membership",
        "Germany pushes to delay the membership invitation",
    ]
    body = "Kirby spoke at the White House press briefing on Monday afternoon."
    text, dropped = _clean("\n".join([body, *teasers]))
    assert dropped == teasers and text == body

    steps = [
        "Open the settings menu of the app",
        "Choose the privacy tab there",
        "Switch off the tracking option now",
    ]
    _, kept_steps = _clean("\n".join([body, *steps[:2]]))
    assert kept_steps == []  # two lines are not a teaser block
