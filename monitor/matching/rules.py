"""Rule files: a folder of *.yaml files (or a list of files), each holding `rules:`.

A rule has a `query` in the query language (monitor/matching/query.py) and/or the structured
form: every `all` term, at least one `any` term, no `none` term. Terms are words or phrases,
matched as whole words ignoring case and accents. `synonyms:` at the top of a file defines
groups usable as `@name` in its queries. Every error names the file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.errors import RuleError
from monitor.matching.query import And, Node, Not, Or, QueryError, Term, parse_query, words
from monitor.textfile import why_missing
from monitor.yamlfile import YamlDocument, load_yaml

RULE_SUFFIXES = (".yaml", ".yml")
# Files in the rules folder that hold other data than watch rules.
NOT_RULE_FILES = frozenset({"speakers.yaml", "speakers.yml"})


class SourceFilter(BaseModel):
    """Outlets, domains or feed names to include (only these) or exclude."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def allows(self, names: Iterable[str]) -> bool:
        folded = {n.casefold() for n in names if n}

        def hit(wanted: tuple[str, ...]) -> bool:
            return any(
                w.casefold() in folded or any(n.endswith("." + w.casefold()) for n in folded)
                for w in wanted
            )

        return (not self.include or hit(self.include)) and not hit(self.exclude)


class Rule(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True
    )

    name: str = Field(min_length=1)
    description: str | None = None
    enabled: bool = True
    query: str | None = None
    all_terms: tuple[str, ...] = Field(default=(), alias="all")
    any_terms: tuple[str, ...] = Field(default=(), alias="any")
    none_terms: tuple[str, ...] = Field(default=(), alias="none")
    channel: str | None = None
    mention: str | None = None
    priority: Literal["low", "normal", "high"] = "normal"
    require_statement: bool = False
    speakers: tuple[str, ...] = ()
    followups: Literal["thread", "ignore"] = "thread"
    sources: SourceFilter = SourceFilter()
    languages: tuple[str, ...] = ()
    throttle: int | None = Field(default=None, gt=0)  # alerts per hour; the rest in a digest
    source: str = Field(default="", exclude=True)
    node: Any = Field(default=None, exclude=True)  # the compiled query tree

    @field_validator("all_terms", "any_terms", "none_terms", mode="before")
    @classmethod
    def _terms(cls, value: object) -> object:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            for term in value:
                if not isinstance(term, str | int | float) or not words(str(term)):
                    raise ValueError(f"each term must be a non-empty word or phrase, got {term!r}")
            return tuple(str(term).strip() for term in value)
        return value

    @field_validator("mention")
    @classmethod
    def _mention(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value in ("@here", "@channel") or value.startswith(("<!subteam^", "<@", "<!")):
            return value
        raise ValueError(
            f"mention {value!r} is not one Slack understands: use @here, @channel, "
            "<!subteam^ID> for a user group or <@USERID> for a person"
        )

    @model_validator(mode="after")
    def _has_positive_terms(self) -> Rule:
        if not self.query and not self.all_terms and not self.any_terms:
            raise ValueError("a rule needs a `query`, or terms under `all` or `any`")
        return self

    def compile(self, synonyms: dict[str, tuple[str, ...]]) -> Node:
        """The rule as one query tree: `query` AND the structured form."""
        parts: list[Node] = []
        if self.query:
            parts.append(parse_query(self.query, synonyms))
        parts += [_phrase(t) for t in self.all_terms]
        if self.any_terms:
            parts.append(Or(tuple(_phrase(t) for t in self.any_terms)))
        if self.none_terms:
            parts.append(Not(Or(tuple(_phrase(t) for t in self.none_terms))))
        return parts[0] if len(parts) == 1 else And(tuple(parts))


def _phrase(text: str) -> Term:
    return Term(tuple(words(text)))


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    synonyms: dict[str, str | list[str]] = Field(default_factory=dict)
    rules: list[Rule]

    def groups(self) -> dict[str, tuple[str, ...]]:
        """`Kyiv|Kiev` or a list, by name."""
        return {
            name: tuple(v.strip() for v in (value.split("|") if isinstance(value, str) else value))
            for name, value in self.synonyms.items()
        }


def shipped_rules_dir() -> Path:
    """The rules folder shipped in the wheel, or the repository's rules/ in a checkout."""
    packaged = Path(str(resources.files("monitor"))) / "shipped_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their rule files (sorted); a path that is not there is an error."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(folder_rule_files(path))
        elif path.is_file():
            files.append(path)
        elif path.is_symlink():
            raise RuleError(f"{path}: rules path is {why_missing(path)}; fix or remove the link")
        else:
            raise RuleError(f"{path}: rules path not found (check it, or `rules:` in monitor.yaml)")
    return files


def folder_rule_files(folder: Path) -> list[Path]:
    """The *.yaml and *.yml files of a folder, sorted, without the speaker list.

    A broken symlink or a sub-folder named like a rule file is listed, so that loading it
    reports the problem instead of skipping it silently.
    """
    try:
        entries = list(folder.iterdir())
    except OSError as e:
        raise RuleError(
            f"{folder}: cannot list the rules folder ({e.strerror}); fix its permissions"
        ) from e
    return sorted(p for p in entries if p.suffix in RULE_SUFFIXES and p.name not in NOT_RULE_FILES)


def empty_folders(paths: Iterable[Path]) -> list[Path]:
    """The rules folders that hold no rule file (a wrong path, or rules saved as .txt?).

    A folder that cannot be listed is not counted: rule_files reports it.
    """
    empty = []
    for path in paths:
        try:
            if path.is_dir() and not folder_rule_files(path):
                empty.append(path)
        except RuleError:
            continue
    return empty


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
    compiled, errors = [], []
    for i, rule in enumerate(parsed.rules):
        try:
            node = rule.compile(parsed.groups())
        except QueryError as e:
            errors.append(_query_error(doc, i, rule, e))
            continue
        source = f"{path}:{doc.line_of(['rules', i])}"
        compiled.append(rule.model_copy(update={"source": source, "node": node}))
    if errors:
        raise RuleError("\n".join(errors))
    return compiled


def _query_error(doc: YamlDocument, index: int, rule: Rule, error: QueryError) -> str:
    """`file:line:column: rules.N.query: message (hint: …)`, pointing into the YAML."""
    if rule.query is None:  # a structured term that parses to nothing cannot happen; be safe
        return f"{doc.path}:{doc.line_of(['rules', index])}: rules.{index}: {error.message}"
    line, column = doc.position_in_scalar(["rules", index, "query"], error.column - 1)
    hint = f" (hint: {error.hint})" if error.hint else ""
    return f"{doc.path}:{line}:{column}: rules.{index}.query: {error.message}{hint}"


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
