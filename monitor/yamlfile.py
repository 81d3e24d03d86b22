"""YAML loading that remembers where each value sits, so errors can name file and line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from monitor.textfile import read_text


@dataclass(frozen=True)
class YamlDocument:
    """Parsed data plus the node tree it came from (for line numbers)."""

    path: Path
    data: Any
    root: yaml.Node | None
    lines: tuple[str, ...] = ()  # the text as parsed, for columns inside block scalars

    def line_of(self, loc: Sequence[int | str]) -> int:
        """1-based line of the value at `loc` (a pydantic error location), as deep as it exists."""
        node = self.root
        line = 1 if node is None else node.start_mark.line + 1
        for part in loc:
            node = _child(node, part)
            if node is None:
                break
            line = node.start_mark.line + 1
        return line

    def position_in_scalar(self, loc: Sequence[int | str], offset: int) -> tuple[int, int]:
        """1-based (line, column) in the file of character `offset` of the string at `loc`."""
        node = self.root
        for part in loc:
            node = _child(node, part)
        if not isinstance(node, yaml.ScalarNode):
            return self.line_of(loc), 1
        mark = node.start_mark
        if node.style in ("|", ">"):  # block scalar: the text starts on the next line
            text = str(node.value)
            line = mark.line + 2 + text.count("\n", 0, offset)
            indent = self._indent_of(line)
            return line, indent + offset - (text.rfind("\n", 0, offset) + 1) + 1
        quoted = 1 if node.style in ("'", '"') else 0
        return mark.line + 1, mark.column + quoted + offset + 1

    def describe_errors(self, error: ValidationError, prefix: Sequence[int | str] = ()) -> str:
        """One line per validation problem: `file:line: field.path: message`."""
        lines = []
        for err in error.errors():
            loc = [*prefix, *err["loc"]]
            where = ".".join(str(p) for p in loc) or "(top level)"
            lines.append(f"{self.path}:{self.line_of(loc)}: {where}: {_message(err)}")
        return "\n".join(lines)

    def _indent_of(self, line: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text) - len(text.lstrip(" "))


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key (check the spelling; unknown keys are not ignored)"
    msg: str = err["msg"]
    return msg.removeprefix("Value error, ")


def _child(node: yaml.Node | None, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value if not isinstance(value, yaml.ScalarNode) or value.value else key
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def _syntax_message(path: Path, e: yaml.MarkedYAMLError) -> str:
    """Point at where the broken construct starts (an unclosed bracket, say), then the problem."""
    mark = e.context_mark or e.problem_mark
    line = f":{mark.line + 1}" if mark else ""
    problem = e.problem or str(e)
    if e.context and e.problem_mark:
        problem = f"{e.context}: {problem} (line {e.problem_mark.line + 1})"
    return f"{path}{line}: invalid YAML: {problem}"


def _reader_message(path: Path, text: str, e: yaml.reader.ReaderError) -> str:
    """A character YAML does not allow (a control character, say), with its line."""
    line = text.count("\n", 0, e.position) + 1
    return (
        f"{path}:{line}: invalid YAML: character U+{e.character:04X} (a control character) "
        "is not allowed; remove it"
    )


def load_yaml(path: Path) -> YamlDocument:
    """Read and parse a YAML file.

    Raises ValueError naming the file (and line) when it cannot be read, is not UTF-8 or is
    not valid YAML; callers turn it into their own MonitorError subclass.
    """
    text = read_text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        raise ValueError(_syntax_message(path, e)) from e
    except yaml.reader.ReaderError as e:
        raise ValueError(_reader_message(path, text, e)) from e
    except RecursionError as e:  # the parser recurses once per level of [ or {
        raise ValueError(f"{path}: invalid YAML: nested too deeply") from e
    return YamlDocument(path=path, data=data, root=root, lines=tuple(text.splitlines()))
