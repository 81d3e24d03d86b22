"""Start-up errors as a user sees them: one `Error:` line naming the file and what to do,
exit 1, no traceback, from `monitor run --once` and `monitor rules check` alike."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

GOOD_RULES = "rules:\n  - name: NATO watch\n    query: Ukraine AND NATO\n"


@dataclass
class Setup:
    config: Path
    rules: Path


def _setup(folder: Path) -> Setup:
    """A monitor.yaml with no feeds and a rules folder holding one good rule file."""
    rules = folder / "rules"
    rules.mkdir()
    (rules / "nato.yaml").write_text(GOOD_RULES, encoding="utf-8")
    config = folder / "monitor.yaml"
    config.write_text("database: monitor.db\nrules: rules\n", encoding="utf-8")
    return Setup(config, rules)


def monitor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SLACK_BOT_TOKEN", "MONITOR_CONFIG")}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
    )


def assert_one_error(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """Exit 1, exactly one `Error:` line holding every expected piece, no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for piece in expected:
        assert piece in errors[0], result.stderr
    return errors[0]


def _config_not_utf8(s: Setup) -> tuple[str, ...]:
    s.config.write_bytes(b"database: monitor.db\nrules: rules\n# caf\xe9\n")
    return (f"{s.config}:3: not UTF-8 text (byte 0xe9 at offset 39); save it as UTF-8",)


def _config_a_folder(s: Setup) -> tuple[str, ...]:
    s.config.unlink()
    s.config.mkdir()
    return (f"{s.config}: a folder, not a config file; pass --config PATH/monitor.yaml",)


def _config_empty(s: Setup) -> tuple[str, ...]:
    s.config.write_text("# to do\n", encoding="utf-8")
    return (f"{s.config}: the file holds no settings; start from deploy/monitor.yaml",)


def _config_a_list(s: Setup) -> tuple[str, ...]:
    s.config.write_text("- rules\n", encoding="utf-8")
    return (f"{s.config}:1: expected settings (`key: value` lines) at the top level",)


def _speakers_missing(s: Setup) -> tuple[str, ...]:
    with s.config.open("a", encoding="utf-8") as f:
        f.write("statements:\n  speakers: people.yaml\n")
    people = s.config.parent / "people.yaml"
    return (f"{s.config}:4: statements.speakers: {people}: not found; fix the path",)


def _boilerplate_missing(s: Setup) -> tuple[str, ...]:
    with s.config.open("a", encoding="utf-8") as f:
        f.write("extraction:\n  boilerplate: patterns.yaml\n")
    patterns = s.config.parent / "patterns.yaml"
    return (f"{s.config}:4: extraction.boilerplate: {patterns}: not found; fix the path",)


def _rule_not_utf8(s: Setup) -> tuple[str, ...]:
    path = s.rules / "nato.yaml"
    path.write_bytes(GOOD_RULES.replace("NATO watch", "OTAN café").encode("latin-1"))
    return (f"{path}:2: not UTF-8 text (byte 0xe9", "save it as UTF-8")


def _rule_broken_symlink(s: Setup) -> tuple[str, ...]:
    link = s.rules / "elections.yaml"
    link.symlink_to(s.config.parent / "shared" / "elections.yaml")
    return (f"{link}: a symlink to ", "which does not exist; fix or remove the link")


CONFIG_CASES: dict[str, Callable[[Setup], tuple[str, ...]]] = {
    "config not UTF-8": _config_not_utf8,
    "config a folder": _config_a_folder,
    "speakers missing": _speakers_missing,
    "boilerplate missing": _boilerplate_missing,
}
SHAPE_CASES: dict[str, Callable[[Setup], tuple[str, ...]]] = {
    "config empty": _config_empty,
    "config a list": _config_a_list,
}
RULE_CASES: dict[str, Callable[[Setup], tuple[str, ...]]] = {
    "rule file not UTF-8": _rule_not_utf8,
    "rule path a broken symlink": _rule_broken_symlink,
}


@pytest.mark.parametrize("case", [*CONFIG_CASES, *RULE_CASES])
@pytest.mark.parametrize("command", ["run", "rules check --config"])
def test_start_up_error_is_one_line_naming_the_file(
    tmp_path: Path, case: str, command: str
) -> None:
    s = _setup(tmp_path)
    expected = {**CONFIG_CASES, **RULE_CASES}[case](s)
    args = ["run", "--once"] if command == "run" else ["rules", "check"]
    assert_one_error(monitor(*args, "--config", str(s.config)), *expected)


@pytest.mark.parametrize("case", list(SHAPE_CASES))
def test_config_that_holds_no_settings(tmp_path: Path, case: str) -> None:
    s = _setup(tmp_path)
    expected = SHAPE_CASES[case](s)
    assert_one_error(monitor("run", "--once", "--config", str(s.config)), *expected)


@pytest.mark.parametrize("case", list(RULE_CASES))
def test_rules_check_of_a_folder_names_the_bad_file(tmp_path: Path, case: str) -> None:
    s = _setup(tmp_path)
    expected = RULE_CASES[case](s)
    assert_one_error(monitor("rules", "check", str(s.rules)), *expected)


def test_rules_check_of_an_empty_folder_fails_but_run_warns(tmp_path: Path) -> None:
    s = _setup(tmp_path)
    (s.rules / "nato.yaml").rename(s.rules / "nato.yaml.txt")
    assert_one_error(
        monitor("rules", "check", str(s.rules)),
        f"{s.rules}: no rule files (*.yaml, *.yml) in this folder; check the path, or add one",
    )
    result = monitor("run", "--once", "--config", str(s.config))
    assert result.returncode == 0, result.stderr
    assert f"WARNING monitor.matching.library: {s.rules}: no rule files" in result.stderr


def test_good_setup_passes(tmp_path: Path) -> None:
    """The baseline the cases above break: the same files, unbroken, start fine."""
    s = _setup(tmp_path)
    check = monitor("rules", "check", "--config", str(s.config))
    assert check.returncode == 0 and check.stdout == "1 rules in 1 files: OK\n", check.stderr
    run = monitor("run", "--once", "--config", str(s.config))
    assert run.returncode == 0 and "Error" not in run.stderr, run.stderr


# --- permission denied: root reads anything, so run the command as an unprivileged user --

# The interpreter may live where `nobody` cannot read (under /root, say): start it as root,
# import the CLI and what its commands import lazily, then drop to `nobody` and run it.
AS_NOBODY = """
import os, sys
import importlib.readers, importlib.resources
import monitor.cli, monitor.runtime, monitor.matching.library
# the package's own data, read once, before dropping: the checkout may be private to root
import monitor.extraction, monitor.statements.lexicon
monitor.extraction.load_boilerplate()
monitor.statements.lexicon.lexicon()
os.setgroups([])
os.setgid(int(sys.argv[1]))
os.setuid(int(sys.argv[2]))
monitor.cli.main(sys.argv[3:], prog_name="monitor")
"""


def monitor_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    """`monitor ARGS` as the user `nobody` when we are root, else as ourselves."""
    if os.geteuid() != 0:
        return monitor(*args)
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root and there is no `nobody` user to drop to")
    ids = (str(nobody.pw_gid), str(nobody.pw_uid))
    env = {k: v for k, v in os.environ.items() if k not in ("SLACK_BOT_TOKEN", "MONITOR_CONFIG")}
    return subprocess.run(
        [sys.executable, "-c", AS_NOBODY, *ids, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
    )


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the unprivileged user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="monitor-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def _open_to_all(s: Setup) -> None:
    """Let the unprivileged user read the setup. The speaker list is copied beside the
    rules, so that it is found there rather than in the checkout, which may be private to
    root (a clone under `mktemp -d` is)."""
    shutil.copyfile(REPO / "rules" / "speakers.yaml", s.rules / "speakers.yaml")
    for path in (s.config, s.rules, *s.rules.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_unreadable_config(shared_dir: Path) -> None:
    s = _setup(shared_dir)
    _open_to_all(s)
    s.config.chmod(0)
    for args in (("run", "--once"), ("rules", "check")):
        assert_one_error(
            monitor_unprivileged(*args, "--config", str(s.config)),
            f"{s.config}: cannot read the file (Permission denied); fix its permissions",
        )


def test_unreadable_rule_file(shared_dir: Path) -> None:
    s = _setup(shared_dir)
    _open_to_all(s)
    readable = monitor_unprivileged("rules", "check", str(s.rules))
    assert readable.returncode == 0, readable.stderr  # the same user, before the chmod
    (s.rules / "nato.yaml").chmod(0)
    expected = f"{s.rules / 'nato.yaml'}: cannot read the file (Permission denied); fix its"
    for args in (
        ("run", "--once", "--config", str(s.config)),
        ("rules", "check", str(s.rules)),
    ):
        assert_one_error(monitor_unprivileged(*args), expected)


def test_unlistable_rules_folder(shared_dir: Path) -> None:
    s = _setup(shared_dir)
    _open_to_all(s)
    s.rules.chmod(0o311)  # enter but not list
    assert_one_error(
        monitor_unprivileged("rules", "check", str(s.rules)),
        f"{s.rules}: cannot list the rules folder (Permission denied); fix its permissions",
    )


def test_read_only_database(shared_dir: Path) -> None:
    s = _setup(shared_dir)
    _open_to_all(s)
    created = monitor("run", "--once", "--config", str(s.config))
    assert created.returncode == 0, created.stderr
    database = shared_dir / "monitor.db"
    for leftover in shared_dir.glob("monitor.db-*"):
        leftover.unlink()
    database.chmod(0o644)  # root's file: the user can read it but write neither it nor beside it
    for args in (("status",), ("run", "--once")):
        assert_one_error(
            monitor_unprivileged(*args, "--config", str(s.config)), f"{database}:", "permissions"
        )
