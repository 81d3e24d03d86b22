"""Files that cannot be read: each loader names the file and says what to do, never raises
an OSError or UnicodeDecodeError, and the live rule library reports instead of raising."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from monitor.config import load_config, slack_token
from monitor.errors import ConfigError, RuleError
from monitor.extraction import load_boilerplate
from monitor.matching.library import RuleLibrary, check_rules
from monitor.matching.rules import load_rules
from monitor.statements import load_speakers
from monitor.textfile import read_text
from monitor.yamlfile import load_yaml

GOOD_RULES = "rules:\n  - name: NATO watch\n    query: Ukraine AND NATO\n"
LATIN1 = "rules:\n  - name: Café\n    query: café\n".encode("latin-1")


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Reading `denied` fails as it does for a user without read permission (we run as root)."""
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


# --- reading one file --------------------------------------------------------------------


def test_non_utf8_names_line_byte_and_offset(tmp_path: Path) -> None:
    path = _write(tmp_path / "nato.yaml", LATIN1)
    with pytest.raises(ValueError) as error:
        read_text(path)
    offset = LATIN1.index(b"\xe9")
    assert str(error.value) == (
        f"{path}:2: not UTF-8 text (byte 0xe9 at offset {offset}); save it as UTF-8"
    )


def test_permission_denied_says_fix_its_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "nato.yaml", GOOD_RULES)
    _deny(monkeypatch, path)
    with pytest.raises(ValueError) as error:
        read_text(path)
    assert str(error.value) == (
        f"{path}: cannot read the file (Permission denied); fix its permissions"
    )


def test_folder_and_broken_symlink_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "link.yaml").symlink_to(tmp_path / "gone.yaml")
    with pytest.raises(ValueError, match=r"folder.yaml: a folder, not a file"):
        read_text(tmp_path / "folder.yaml")
    with pytest.raises(ValueError) as error:
        read_text(tmp_path / "link.yaml")
    assert str(error.value) == (
        f"{tmp_path / 'link.yaml'}: a symlink to {tmp_path / 'gone.yaml'}, which does not "
        "exist; fix or remove the link"
    )
    with pytest.raises(ValueError, match=r"nothere.yaml: file not found; check the path"):
        read_text(tmp_path / "nothere.yaml")


def test_control_character_and_deep_nesting_are_yaml_errors(tmp_path: Path) -> None:
    control = _write(tmp_path / "a.yaml", 'rules: []\nname: "\x1b[0m"\n')
    with pytest.raises(ValueError, match=r"a.yaml:2: invalid YAML: character U\+001B"):
        load_yaml(control)
    nested = _write(tmp_path / "b.yaml", "[" * 5000)
    with pytest.raises(ValueError, match=r"b.yaml: invalid YAML: nested too deeply"):
        load_yaml(nested)


# --- monitor.yaml ------------------------------------------------------------------------


def test_config_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path / "monitor.yaml", "rules: rules\n# Café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"monitor.yaml:2: not UTF-8 text \(byte 0xe9"):
        load_config(path)


def test_config_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "monitor.yaml", "rules: rules\n")
    _deny(monkeypatch, path)
    with pytest.raises(ConfigError, match=r"monitor.yaml: cannot read the file \(Permission"):
        load_config(path)


def test_config_that_is_a_folder_or_a_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    with pytest.raises(ConfigError, match=r"conf: a folder, not a config file; pass --config"):
        load_config(tmp_path / "conf")
    (tmp_path / "monitor.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(ConfigError, match=r"monitor.yaml: a symlink to .*elsewhere.yaml"):
        load_config(tmp_path / "monitor.yaml")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_config_is_refused_but_an_empty_mapping_means_defaults(
    tmp_path: Path, text: str
) -> None:
    with pytest.raises(ConfigError, match=r"monitor.yaml: the file holds no settings; start from"):
        load_config(_write(tmp_path / "monitor.yaml", text))
    config = load_config(_write(tmp_path / "monitor.yaml", "{}\n"))
    assert config.database == tmp_path / "monitor.db"


@pytest.mark.parametrize(
    ("text", "found"), [("- rules\n- feeds\n", "a list"), ("rules\n", "a single value")]
)
def test_config_that_is_not_a_mapping(tmp_path: Path, text: str, found: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path / "monitor.yaml", text))
    assert str(error.value) == (
        f"{tmp_path / 'monitor.yaml'}:1: expected settings (`key: value` lines) at the top "
        f"level, found {found}; see deploy/monitor.yaml"
    )


def test_configured_speakers_and_boilerplate_must_exist(tmp_path: Path) -> None:
    (tmp_path / "patterns").mkdir()
    path = _write(
        tmp_path / "monitor.yaml",
        "statements:\n  speakers: my-speakers.yaml\nextraction:\n  boilerplate: patterns\n",
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).splitlines() == [
        f"{path}:2: statements.speakers: {tmp_path / 'my-speakers.yaml'}: not found; "
        "fix the path, or remove the key to use speakers.yaml beside the rules or the shipped "
        "list",
        f"{path}:4: extraction.boilerplate: {tmp_path / 'patterns'}: a folder, not a file; "
        "fix the path, or remove the key to use the shipped patterns",
    ]
    _write(tmp_path / "my-speakers.yaml", "speakers: []\n")
    (tmp_path / "patterns").rmdir()
    _write(tmp_path / "patterns", "patterns: []\n")
    config = load_config(path)
    assert config.statements.speakers == tmp_path / "my-speakers.yaml"


def test_configured_speakers_as_a_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "speakers.yaml").symlink_to(tmp_path / "old" / "speakers.yaml")
    path = _write(tmp_path / "monitor.yaml", "statements:\n  speakers: speakers.yaml\n")
    with pytest.raises(ConfigError, match=r"statements.speakers: .* a symlink to .*old/speakers"):
        load_config(path)


def test_token_file_missing_unreadable_or_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config = load_config(_write(tmp_path / "monitor.yaml", "slack:\n  token_file: token\n"))
    token = tmp_path / "token"
    with pytest.raises(ConfigError, match=r"^slack.token_file: .*token: file not found; check"):
        slack_token(config)
    _write(token, "\n")
    with pytest.raises(ConfigError, match=r"token: the file is empty; write the bot token"):
        slack_token(config)
    _write(token, "xoxb-1\n")
    _deny(monkeypatch, token)
    with pytest.raises(ConfigError, match=r"token: cannot read the file \(Permission denied\)"):
        slack_token(config)


# --- speakers, boilerplate, rules --------------------------------------------------------


def test_a_named_speakers_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    assert len(load_speakers(None)) == 0
    with pytest.raises(RuleError, match=r"speakers.yaml: file not found"):
        load_speakers(tmp_path / "speakers.yaml")
    latin = _write(tmp_path / "s.yaml", "speakers:\n  - name: José\n".encode("latin-1"))
    with pytest.raises(RuleError, match=r"s.yaml:2: not UTF-8"):
        load_speakers(latin)


def test_boilerplate_not_utf8_or_missing(tmp_path: Path) -> None:
    latin = _write(tmp_path / "b.yaml", "patterns:\n  - name: pub\n    match: Publicité\n")
    latin.write_bytes(latin.read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(ConfigError, match=r"b.yaml:3: not UTF-8 text \(byte 0xe9"):
        load_boilerplate(latin)
    with pytest.raises(ConfigError, match=r"none.yaml: file not found"):
        load_boilerplate(tmp_path / "none.yaml")


def test_rules_not_utf8_unreadable_and_unlistable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = _write(tmp_path / "rules" / "nato.yaml", LATIN1)
    with pytest.raises(RuleError, match=r"nato.yaml:2: not UTF-8"):
        load_rules([tmp_path / "rules"])
    bad.write_text(GOOD_RULES, encoding="utf-8")
    _deny(monkeypatch, bad)
    with pytest.raises(RuleError) as error:
        load_rules([tmp_path / "rules"])
    assert (
        str(error.value) == f"{bad}: cannot read the file (Permission denied); fix its permissions"
    )

    def refuse(self: Path) -> object:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(RuleError, match=r"rules: cannot list the rules folder \(Permission denied"):
        load_rules([tmp_path / "rules"])


def test_rule_path_that_is_a_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "nato.yaml"
    link.symlink_to(tmp_path / "moved" / "nato.yaml")
    with pytest.raises(RuleError) as error:
        load_rules([link])
    assert str(error.value) == (
        f"{link}: rules path is a symlink to {tmp_path / 'moved' / 'nato.yaml'}, which does not "
        "exist; fix or remove the link"
    )


def test_a_rules_folder_without_rule_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "rules"
    _write(folder / "nato.yaml.txt", GOOD_RULES)
    _write(folder / "speakers.yaml", "speakers: []\n")
    errors, _, _ = check_rules([folder])
    assert errors == [
        f"{folder}: no rule files (*.yaml, *.yml) in this folder; check the path, or add one"
    ]
    with caplog.at_level(logging.WARNING):
        library = RuleLibrary.load([folder])
    assert len(library.ruleset) == 0
    assert f"{folder}: no rule files (*.yaml, *.yml) in this folder: nothing will be alerted" in (
        caplog.text
    )


# --- the live library --------------------------------------------------------------------


def test_reload_reports_a_broken_symlink_once_then_loads_it_when_fixed(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    _write(folder / "a.yaml", GOOD_RULES)
    library = RuleLibrary.load([folder])
    target = tmp_path / "shared" / "b.yaml"
    (folder / "b.yaml").symlink_to(target)
    first = library.reload()
    assert first.errors == (
        f"{folder / 'b.yaml'}: a symlink to {target}, which does not exist; fix or remove the link",
    )
    assert library.reload().errors == ()  # not repeated on every tick
    assert len(library.ruleset) == 1
    _write(target, "rules:\n  - name: other\n    all: [summit]\n")
    report = library.reload()
    assert report.errors == () and report.changed and len(library.ruleset) == 2


def test_reload_retries_a_file_once_its_permissions_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "rules" / "a.yaml", GOOD_RULES)
    library = RuleLibrary([tmp_path / "rules"])
    _deny(monkeypatch, path)
    assert library.reload().errors == (
        f"{path}: cannot read the file (Permission denied); fix its permissions",
    )
    assert library.reload().errors == ()
    monkeypatch.undo()
    assert library.reload().changed is False  # nothing on disk changed: not read again
    path.chmod(0o600)  # the fix: only the mode changes, not the content or its mtime
    report = library.reload()
    assert report.errors == () and report.changed and len(library.ruleset) == 1


def test_reload_reports_a_vanished_rules_folder_once(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    _write(folder / "a.yaml", GOOD_RULES)
    library = RuleLibrary.load([folder])
    (folder / "a.yaml").unlink()
    folder.rmdir()
    assert library.reload().errors == (
        f"{folder}: rules path not found (check it, or `rules:` in monitor.yaml)",
    )
    assert library.reload().errors == ()
    assert len(library.ruleset) == 1  # the last good rules keep running
    _write(folder / "a.yaml", GOOD_RULES)
    assert library.reload().errors == ()
    folder.joinpath("a.yaml").unlink()
    folder.rmdir()
    assert len(library.reload().errors) == 1  # gone again: said again


@pytest.mark.parametrize(
    "content",
    [
        LATIN1,
        b"rules: []\nx: \x00\n",
        b"[" * 5000,
        b"\xff\xfe\x00r",
        b"rules: !!python/object:os.system []",
    ],
)
def test_reload_never_raises_on_a_bad_file(tmp_path: Path, content: bytes) -> None:
    path = _write(tmp_path / "rules" / "bad.yaml", content)
    report = RuleLibrary([tmp_path / "rules"]).reload()
    assert len(report.errors) == 1 and str(path) in report.errors[0]
