"""The live rule set: rule files reloaded when they change, last good version kept.

A broken edit of one file is reported and that file's previous rules keep running; a file
removed from disk stops matching; a new or fixed file starts matching. A file that cannot be
read (permissions, a broken symlink, not UTF-8) is a broken edit like any other: reported once,
never raised. I/O (stat, read) is here; parsing and compiling are in rules.py and compiled.py.

A rules folder with no rule file is not an error for the daemon (it picks up files added
later, and stores articles for `monitor rules test` meanwhile) but is logged as a warning;
`monitor rules check` fails on it, since there is nothing to check.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import RuleError
from monitor.matching.matcher import RuleSet
from monitor.matching.rules import Rule, empty_folders, load_rule_file, rule_files

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadReport:
    changed: bool
    errors: tuple[str, ...] = ()


@dataclass
class RuleLibrary:
    paths: Sequence[Path]
    _good: dict[Path, list[Rule]] = field(default_factory=dict)
    _stamps: dict[Path, tuple[int, ...]] = field(default_factory=dict)
    _listing_error: str | None = None  # reported once, not on every reload
    ruleset: RuleSet = field(default_factory=lambda: RuleSet([]))

    @classmethod
    def load(cls, paths: Sequence[Path]) -> RuleLibrary:
        """Load strictly: at start-up there is no last good version to fall back on."""
        library = cls(paths)
        report = library.reload()
        if report.errors:
            raise RuleError("\n".join(report.errors))
        for folder in empty_folders(paths):
            log.warning(
                "%s: no rule files (*.yaml, *.yml) in this folder: nothing will be alerted "
                "until you add one (it is picked up without a restart)",
                folder,
            )
        return library

    @property
    def file_count(self) -> int:
        return len(self._good)

    def reload(self) -> ReloadReport:
        """Re-read the files whose size or mtime changed; rebuild the rule set if any did."""
        errors: list[str] = []
        try:
            files = rule_files(self.paths)
        except RuleError as e:
            new = str(e) != self._listing_error
            self._listing_error = str(e)
            return ReloadReport(changed=False, errors=(str(e),) if new else ())
        self._listing_error = None
        changed = False
        for gone in set(self._good) - set(files):
            del self._good[gone]
            self._stamps.pop(gone, None)
            changed = True
        for path in files:
            stamp = _stamp(path)
            if stamp is None or self._stamps.get(path) == stamp:
                continue
            self._stamps[path] = stamp
            try:
                self._good[path] = load_rule_file(path)
                changed = True
            except RuleError as e:
                errors.append(
                    f"{e}\n(the last good version of {path.name} keeps running)"
                    if path in self._good
                    else str(e)
                )
        if changed:
            self.ruleset = RuleSet(self._enabled(errors))
        return ReloadReport(changed=changed, errors=tuple(errors))

    def _enabled(self, errors: list[str]) -> list[Rule]:
        """Enabled rules of every good file; a duplicate name keeps its first definition."""
        seen: dict[str, str] = {}
        rules = []
        for path in sorted(self._good):
            for rule in self._good[path]:
                if rule.name in seen:
                    errors.append(
                        f"{rule.source}: rule name {rule.name!r} already used at "
                        f"{seen[rule.name]}; this one is ignored"
                    )
                    continue
                seen[rule.name] = rule.source
                if rule.enabled:
                    rules.append(rule)
        return rules


def _stamp(path: Path) -> tuple[int, ...] | None:
    """What tells a changed file: its content (mtime, size) or its permissions and owner.

    A broken symlink is stamped by the link itself and an unreadable entry by its error, so
    that loading reports them once; None means the file went away since it was listed.
    """
    try:
        stat = path.lstat() if path.is_symlink() and not path.exists() else path.stat()
    except FileNotFoundError:
        return None
    except OSError as e:
        return (e.errno or -1,)
    return (
        stat.st_ino,
        stat.st_mtime_ns,
        stat.st_size,
        stat.st_mode,
        stat.st_uid,
        stat.st_gid,
        stat.st_ctime_ns,  # an ACL changed
    )


def check_rules(paths: Sequence[Path]) -> tuple[list[str], int, int]:
    """Every problem in the rule files (all of them, not just the first), rule and file count."""
    library = RuleLibrary(paths)
    report = library.reload()
    errors = list(report.errors)
    errors += [
        f"{folder}: no rule files (*.yaml, *.yml) in this folder; check the path, or add one"
        for folder in empty_folders(paths)
    ]
    return errors, len(library.ruleset), library.file_count
