"""Rule files: a folder of *.yaml files (or a list of files), each holding `rules:`.

A rule fires when every `all` term, at least one `any` term (if any are listed) and no `none`
term occur in the article's title or text. Terms are words or phrases, matched
case-insensitively as whole words. Errors name the file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.errors import RuleError
from monitor.yamlfile import load_yaml

RULE_SUFFIXES = (".yaml", ".yml")
# Files in the rules folder that hold other data than watch rules.
NOT_RULE_FILES = frozenset({"speakers.yaml", "speakers.yml"})


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1)
    description: str | None = None
    enabled: bool = True
    all_terms: tuple[str, ...] = Field(default=(), alias="all")
    any_terms: tuple[str, ...] = Field(default=(), alias="any")
    none_terms: tuple[str, ...] = Field(default=(), alias="none")
    channel: str | None = None
    require_statement: bool = False
    speakers: tuple[str, ...] = ()
    followups: Literal["thread", "ignore"] = "thread"
    source: str = Field(default="", exclude=True)

    @field_validator("all_terms", "any_terms", "none_terms", mode="before")
    @classmethod
    def _terms(cls, value: object) -> object:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            for term in value:
                if not isinstance(term, str | int | float) or not str(term).strip():
                    raise ValueError(f"each term must be a non-empty word or phrase, got {term!r}")
            return tuple(str(term).strip() for term in value)
        return value

    @model_validator(mode="after")
    def _has_positive_terms(self) -> Rule:
        if not self.all_terms and not self.any_terms:
            raise ValueError("a rule needs at least one term under `all` or `any`")
        return self


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule]


def shipped_rules_dir() -> Path:
    """The rules folder shipped in the wheel, or the repository's rules/ in a checkout."""
    packaged = Path(str(resources.files("monitor"))) / "shipped_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their rule files (sorted); a missing path is an error."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if p.suffix in RULE_SUFFIXES and p.name not in NOT_RULE_FILES
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise RuleError(f"{path}: rules path not found (check `rules:` in monitor.yaml)")
    return files


def load_rule_file(path: Path) -> list[Rule]:
    """Validate one rule file; every problem is reported as `file:line: field: message`."""
    try:
        doc = load_yaml(path)
    except ValueError as e:
        raise RuleError(str(e)) from e
    if not isinstance(doc.data, dict):
        raise RuleError(f"{path}:1: expected `rules:` followed by a list of rules")
    try:
        parsed = RuleFile.model_validate(doc.data)
    except ValidationError as e:
        raise RuleError(doc.describe_errors(e)) from None
    return [
        rule.model_copy(update={"source": f"{path}:{doc.line_of(['rules', i])}"})
        for i, rule in enumerate(parsed.rules)
    ]


def load_rules(paths: Iterable[Path]) -> list[Rule]:
    """Load every enabled rule; all files' errors are collected into one RuleError."""
    rules: list[Rule] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for path in rule_files(paths):
        try:
            loaded = load_rule_file(path)
        except RuleError as e:
            errors.append(str(e))
            continue
        for rule in loaded:
            if rule.name in seen:
                errors.append(
                    f"{rule.source}: rule name {rule.name!r} already used at {seen[rule.name]}"
                )
            seen[rule.name] = rule.source
        rules.extend(rule for rule in loaded if rule.enabled)
    if errors:
        raise RuleError("\n".join(errors))
    return rules
