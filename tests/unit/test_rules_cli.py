"""`monitor rules test` as printed, run in-process on one article file (no database)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main

BODY = "NATO leaders met in Vilnius on Tuesday to discuss the request of Ukraine. " * 3
TRAP = "a" * 60 + "b"  # `(a|aa)+$` backtracks exponentially over it


def test_rules_test_prints_why_and_names_a_rule_whose_regex_ran_out_of_time(
    tmp_path: Path,
) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>NATO summit opens</title></head><body><article>"
        f"<h1>NATO summit opens</h1><p>{BODY}</p><p>{BODY} {TRAP}</p>"
        "<p>Kyiv welcomed the summit on Tuesday, officials said in a statement.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    rules = tmp_path / "r.yaml"
    rules.write_text(
        "rules:\n  - name: near\n    query: Kyiv NEAR/3 summit\n"
        "  - name: slow\n    query: /(a|aa)+$/\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "rules",
            "test",
            str(rules),
            "--article",
            str(page),
            "--config",
            str(tmp_path / "no.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "**Kyiv** welcomed the **summit** on Tuesday" in result.stdout
    assert "matched: kyiv NEAR/3 summit (text)" in result.stdout
    assert "[slow] NATO summit opens" in result.stdout
    assert "a regex of the rule ran out of time here: not matched" in result.stdout
    assert "1 alerts would have been sent for 1 articles." in result.stdout
