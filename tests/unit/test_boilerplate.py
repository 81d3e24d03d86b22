"""The boilerplate file: shipped patterns, per-site overrides, errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.extraction import extract_article, load_boilerplate
from monitor.extraction.boilerplate import shipped_boilerplate_path

SITE_FILE = """\
patterns:
  - {name: advertisement, drop: line, match: 'advertisement'}
sites:
  outlet.example:
    remove: ['div.promo']
    patterns:
      - {name: outlet-kicker, drop: line, match: 'exclusive report'}
"""

PAGE = """<html><body><article><h1>Headline</h1>
<p>Exclusive report</p>
<p>Ministers met in Brussels on Tuesday to discuss the request at length with partners.</p>
<div class="promo"><p>Buy our print edition today and save on every issue this winter.</p></div>
<p>Advertisement</p>
<p>“We will decide together,” the minister said after the meeting with his counterparts.</p>
</article></body></html>"""


def test_shipped_file_loads_and_has_every_category() -> None:
    names = {p.name for p in load_boilerplate().patterns}
    for expected in (
        "source-link",
        "comment-form",
        "donation-appeal",
        "newsletter",
        "share-prompt",
        "advertisement",
        "correction-prompt",
        "related-list",
        "photo-credit",
        "cookie-notice",
    ):
        assert expected in names
    assert shipped_boilerplate_path().name == "boilerplate.yaml"


def test_site_override_applies_to_its_outlet_only(tmp_path: Path) -> None:
    path = tmp_path / "boilerplate.yaml"
    path.write_text(SITE_FILE, encoding="utf-8")
    boilerplate = load_boilerplate(path)

    ours = extract_article(
        PAGE.encode(), url="https://www.outlet.example/a", boilerplate=boilerplate
    )
    other = extract_article(PAGE.encode(), url="https://other.example/a", boilerplate=boilerplate)

    assert "Exclusive report" not in ours.text and "Buy our print edition" not in ours.text
    assert "Exclusive report" in other.text and "Buy our print edition" in other.text
    assert "Advertisement" not in ours.text and "Advertisement" not in other.text
    explained = {(d.cleaning_pass, d.pattern) for d in ours.dropped}
    assert ("site-remove", "div.promo") in explained
    assert ("patterns", "outlet-kicker") in explained


def test_bad_selector_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "boilerplate.yaml"
    path.write_text(SITE_FILE.replace("div.promo", "div[[promo"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"boilerplate.yaml:5: sites.outlet.example.remove"):
        load_boilerplate(path)


def test_unknown_key_in_site_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "boilerplate.yaml"
    path.write_text(SITE_FILE.replace("remove:", "remvoe:"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"boilerplate.yaml:5: .*remvoe: unknown key"):
        load_boilerplate(path)
