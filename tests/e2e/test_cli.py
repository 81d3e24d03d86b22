"""The `monitor` command as a user runs it: a subprocess against local servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from monitor.demo import sample_pages
from tests.conftest import write_config
from tests.servers import SLACK_TOKEN, FakeSlack, NewsSite


def monitor(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("SLACK_BOT_TOKEN", "MONITOR_CONFIG")
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        cwd=cwd,
    )


def test_run_once_posts_to_slack_then_nothing_new(
    tmp_path: Path, news_site: NewsSite, fake_slack: FakeSlack
) -> None:
    path = write_config(
        tmp_path, [{"url": news_site.feed_url("news")}], slack_api_url=fake_slack.api_url
    )
    first = monitor(
        "run", "--once", env={"MONITOR_CONFIG": str(path), "SLACK_BOT_TOKEN": SLACK_TOKEN}
    )
    assert first.returncode == 0, first.stderr
    assert len(fake_slack.posts) == 5
    assert "5 alerts queued, 5 sent, 0 pending" in first.stderr
    second = monitor("run", "--once", "--config", str(path), env={"SLACK_BOT_TOKEN": SLACK_TOKEN})
    assert second.returncode == 0 and len(fake_slack.posts) == 5
    assert SLACK_TOKEN not in first.stderr + first.stdout + second.stderr + second.stdout
    db_bytes = (tmp_path / "monitor.db").read_bytes()
    assert SLACK_TOKEN.encode() not in db_bytes


def test_run_once_without_token_prints_alerts(tmp_path: Path, news_site: NewsSite) -> None:
    path = write_config(tmp_path, [{"url": news_site.feed_url("news")}])
    result = monitor("run", "--once", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("━━━ ALERT #") == 4
    assert result.stdout.count("↳ in the thread of alert #") == 1
    assert "alerts are printed to the console" in result.stderr


def test_status_shows_feed_health(tmp_path: Path, news_site: NewsSite) -> None:
    path = write_config(
        tmp_path,
        [
            {"url": news_site.feed_url("news")},
            {"url": news_site.feed_url("missing"), "name": "Gone"},
        ],
    )
    monitor("run", "--once", "--config", str(path))
    result = monitor("status", "--config", str(path))
    assert result.returncode == 0
    assert "FAILING  Gone" in result.stdout and "HTTP 404" in result.stdout
    assert "ok       Test News" in result.stdout
    assert "alerts: 0 pending, 5 sent, 0 failed" in result.stdout


def test_demo_prints_alerts_with_no_network_and_no_slack() -> None:
    result = monitor("demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("━━━ ALERT #") == 4  # stories A, B, C, E
    assert result.stdout.count("↳ in the thread of alert #") == 1  # C's second outlet
    assert "JOHN KIRBY: “" in result.stdout and "GOTTA WIN THIS WAR" in result.stdout
    assert "Second poll: 0 new articles, 0 alerts" in result.stdout
    assert "Source link" not in result.stdout and "Advertisement" not in result.stdout


def test_extract_jsonl(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(sample_pages()["004_7e5b31455ce93c52.html"])
    result = monitor("extract", str(page), "--jsonl")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert {"source", "title", "text", "published", "author", "sitename", "language"} <= set(record)
    assert record["published"].startswith("2024-06-03")
    assert "TNT is truly independent!" not in record["text"]
    assert "A bridge that is strong and well-lit." in record["text"]


def test_extract_explain_names_the_pattern(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(sample_pages()["002_e0f8f1b24ebca186.html"])
    result = monitor("extract", str(page), "--explain")
    assert result.returncode == 0
    kept, dropped = result.stdout.split("--- dropped ---")
    assert "Other Topics of Interest" not in kept
    assert "[patterns / teaser-block] " in dropped and "] Other Topics of Interest" in dropped
    assert "correction-prompt" in dropped


def test_bad_config_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        "feeds:\n  - url: https://example.org/f\n    interval: soon\n", encoding="utf-8"
    )
    result = monitor("run", "--once", "--config", str(path))
    assert result.returncode == 1
    assert f"Error: {path}:3: feeds.0.interval: invalid duration 'soon'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_for_extract_is_reported_and_others_still_print(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(sample_pages()["001_64ddeed9f9114310.html"])
    result = monitor("extract", str(tmp_path / "missing.html"), str(page))
    assert result.returncode == 1
    assert "missing.html: cannot read the file" in result.stderr
    assert "Ukraine's invitation to NATO is not a priority" in result.stdout


def test_statements_jsonl(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(sample_pages()["002_e0f8f1b24ebca186.html"])
    result = monitor("statements", str(page), "--jsonl")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"source", "speaker", "role", "quote", "kind", "sentence"} <= set(records[0])
    kirby = [r for r in records if r["quote"] == "First they gotta win this war"]
    assert kirby and kirby[0]["speaker"] == "John Kirby" and kirby[0]["kind"] == "direct"
    assert kirby[0]["organisation"] is False and kirby[0]["fragment"] is False


def test_statements_mark_organisations(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    text = "“The talks were useful but no decision was taken,” the Kremlin said in a statement."
    page.write_text(
        f"<html><head><title>Talks</title></head><body><article><h1>Talks</h1>"
        f"<p>Officials met on Monday in a closed session that lasted four hours.</p>"
        f"<p>{text}</p></article></body></html>",
        encoding="utf-8",
    )
    result = monitor("statements", str(page))
    assert result.returncode == 0, result.stderr
    assert "Kremlin, direct [organisation]: “The talks were useful" in result.stdout


def test_rules_check_reports_every_error_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("rules:\n  - name: a\n    query: NATO AND\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        "rules:\n  - name: b\n    query: title:(NATO\n    chanel: '#x'\n", encoding="utf-8"
    )
    result = monitor("rules", "check", str(tmp_path))
    assert result.returncode == 1
    assert (
        f"{tmp_path / 'a.yaml'}:3:20: rules.0.query: the query ends where a term" in result.stderr
    )
    assert f"{tmp_path / 'b.yaml'}:4: rules.0.chanel: unknown key" in result.stderr
    ok = monitor("rules", "check", str(Path(__file__).parents[2] / "rules"))
    assert ok.returncode == 0 and "1 rules in 1 files: OK" in ok.stdout


def test_rules_test_over_stored_articles_and_one_article(
    tmp_path: Path, news_site: NewsSite
) -> None:
    path = write_config(tmp_path, [{"url": news_site.feed_url("news")}])
    monitor("run", "--once", "--config", str(path))
    rule = tmp_path / "kirby.yaml"
    rule.write_text(
        "rules:\n  - name: Kirby\n    query: speaker:Kirby AND quote:war\n", encoding="utf-8"
    )
    stored = monitor("rules", "test", str(rule), "--since", "1d", "--config", str(path))
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout.count("[Kirby]") == 3  # 001, 002, 003 quote Kirby on the war
    assert "**war**" in stored.stdout  # highlighted (no terminal: with **)
    assert "3 alerts would have been sent for 5 articles." in stored.stdout
    page = tmp_path / "page.html"
    page.write_bytes(sample_pages()["004_7e5b31455ce93c52.html"])
    one = monitor("rules", "test", str(rule), "--article", str(page))
    assert one.returncode == 0 and "0 alerts would have been sent for 1 articles." in one.stdout


def test_slack_down_backlog_shows_in_status(tmp_path: Path, news_site: NewsSite) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    path = write_config(
        tmp_path,
        [{"url": news_site.feed_url("news")}],
        slack_api_url=f"http://127.0.0.1:{closed}/api/",
    )
    run = monitor(
        "run",
        "--once",
        "--max-wait",
        "0s",
        "--config",
        str(path),
        env={"SLACK_BOT_TOKEN": SLACK_TOKEN},
    )
    assert run.returncode == 75 and "5 pending" in run.stderr  # EX_TEMPFAIL: try again later
    status = monitor("status", "--config", str(path))
    assert "alerts: 5 pending, 0 sent, 0 failed" in status.stdout
    assert "oldest undelivered alert waiting for 0 min" in status.stdout
