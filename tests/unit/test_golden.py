"""Golden Block Kit JSON for the seed alerts: what a reviewer reads instead of a screenshot.

Regenerate after a deliberate change of the message design with
    MONITOR_REGENERATE_GOLDEN=1 pytest tests/unit/test_golden.py
and read the diff before committing it.
"""

from __future__ import annotations

import json
import os

import pytest

from monitor.alerts.facts import alert_facts
from monitor.alerts.render import render_alert, render_followup
from monitor.demo import sample_pages
from monitor.extraction import extract_article
from monitor.matching import RuleSet, load_rules
from monitor.matching import match_article as match
from monitor.statements import extract_statements, load_speakers
from tests.conftest import DATA, REPO

GOLDEN = DATA / "golden"
SPEAKERS = load_speakers(REPO / "rules" / "speakers.yaml")
RULES = RuleSet(load_rules([REPO / "rules"]))


def _message(name: str, *, followup: bool = False) -> dict[str, object]:
    article = extract_article(sample_pages()[name], url=f"https://news.example/{name}")
    statements = extract_statements(article.paragraphs, SPEAKERS)
    (found,) = match(article, RULES, statements, SPEAKERS).matches
    outlet = article.sitename or "outlet"
    facts = alert_facts(article, found, outlet)
    message = (
        render_followup(facts, channel="#news-alerts")
        if followup
        else render_alert(facts, channel="#news-alerts")
    )
    return {"channel": message.channel, "text": message.text, "blocks": message.blocks}


@pytest.mark.parametrize(
    ("golden", "page", "followup"),
    [
        ("kirby-alert.json", "002_e0f8f1b24ebca186.html", False),
        ("kirby-followup.json", "003_c43a629d9d38626b.html", True),
        ("blinken-alert.json", "004_7e5b31455ce93c52.html", False),
    ],
)
def test_golden_messages(golden: str, page: str, followup: bool) -> None:
    rendered = _message(page, followup=followup)
    path = GOLDEN / golden
    if os.environ.get("MONITOR_REGENERATE_GOLDEN"):
        path.write_text(json.dumps(rendered, indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert rendered == json.loads(path.read_text(encoding="utf-8"))
