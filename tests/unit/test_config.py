from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import load_config, slack_token
from monitor.durations import parse_duration
from monitor.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), (45, 45), ("90", 90)],
)
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["5x", "", "m", "-5m", 0, "five minutes", True])
def test_bad_durations_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "database: state/m.db\nrules: my-rules\n"))
    assert config.database == tmp_path / "state" / "m.db"
    assert config.rule_paths == [tmp_path / "my-rules"]


def test_unknown_key_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "feeds:\n  - url: https://example.org/feed.xml\n    intervall: 5m\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert f"{path}:3: feeds.0.intervall: unknown key" in str(error.value)


def test_bad_interval_names_line_and_gives_an_example(tmp_path: Path) -> None:
    path = _write(tmp_path, "feeds:\n  - url: https://example.org/feed.xml\n    interval: 5x\n")
    with pytest.raises(ConfigError, match=r"monitor.yaml:3: feeds.0.interval: invalid duration"):
        load_config(path)


def test_token_in_yaml_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "slack:\n  token: xoxb-very-secret\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "SLACK_BOT_TOKEN" in str(error.value) and "xoxb-very-secret" not in str(error.value)


def test_missing_config_says_where_to_look(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"monitor.yaml:2: invalid YAML"):
        load_config(_write(tmp_path, "feeds:\n  - url: [unclosed\n"))


def test_token_from_env_then_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("xoxb-from-file\n", encoding="utf-8")
    config = load_config(_write(tmp_path, "slack:\n  token_file: token\n"))
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert slack_token(config) == "xoxb-from-file"
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    assert slack_token(config) == "xoxb-from-env"


def test_the_deploy_example_config_loads_with_every_key(tmp_path: Path) -> None:
    """deploy/monitor.yaml documents every key: it must stay a valid config."""
    from tests.conftest import REPO

    (tmp_path / "monitor.yaml").write_text(
        (REPO / "deploy" / "monitor.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    config = load_config(tmp_path / "monitor.yaml")
    assert config.runtime.item_deadline.total_seconds() == 60
    assert config.slack.channel == "#news-alerts"
