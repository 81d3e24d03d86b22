"""The rule query language: a small boolean grammar over words, phrases and fields.

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr (["AND"] not_expr)*        adjacent terms are ANDed
    not_expr := "NOT" not_expr | near
    near     := primary ("NEAR/" N primary)*        both within N words, either order
    primary  := "(" query ")" | FIELD ":" primary | "@" GROUP | "/" REGEX "/"
              | '"' words '"' ["~" N] | WORD ["*"]

Words and phrases match whole words, ignoring case and accents; `Zelensk*` matches any word
starting with `zelensk`; `"Ukraine NATO"~10` wants both words within 10 words of each other.
Fields: title, text, quote (quoted words of statements), speaker, source, url; no field means
title or text. `@name` is a synonym group defined once in the rule file (`Kyiv|Kiev`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.text import fold

FIELDS = ("title", "text", "quote", "speaker", "source", "url")
DEFAULT_FIELDS = ("title", "text")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<phrase>"[^"]*")(?:~(?P<slop>\d+))? |
        (?P<regex>/(?:[^/\\]|\\.)+/) |
        (?P<near>NEAR/(?P<distance>\d+)) |
        (?P<group>@[\w-]+) |
        (?P<field>[a-z]+): |
        (?P<word>[^\s()"/:]+)
    )""",
    re.X,
)
_WORD = re.compile(r"\w+")


class QueryError(ValueError):
    """A query that does not parse; `column` is 1-based within the query text."""

    def __init__(self, message: str, column: int, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint

    def __str__(self) -> str:
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"column {self.column}: {self.message}{hint}"


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


# --- the syntax tree -----------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word or phrase; `prefix` makes the last word a prefix (`Zelensk*`)."""

    words: tuple[str, ...]
    fields: tuple[str, ...] = DEFAULT_FIELDS
    prefix: bool = False
    slop: int | None = None  # `"a b"~N`: the words within N words of each other, any order

    def label(self) -> str:
        text = " ".join(self.words) + ("*" if self.prefix else "")
        return f'"{text}"~{self.slop}' if self.slop is not None else text


@dataclass(frozen=True)
class Regex:
    pattern: str
    fields: tuple[str, ...] = DEFAULT_FIELDS

    def label(self) -> str:
        return f"/{self.pattern}/"


@dataclass(frozen=True)
class Near:
    left: Node
    right: Node
    distance: int


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Term | Regex | Near | And | Or | Not


# --- the parser ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int
    value: str = ""


def _tokens(query: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _TOKEN.match(query, position)
        if match is None or match.end() == position:
            column = position + len(query[position:]) - len(query[position:].lstrip()) + 1
            raise QueryError(
                f"unexpected {query[column - 1]!r}",
                column,
                'quote phrases with "…" and regexes with /…/',
            )
        kind = match.lastgroup or "word"
        if kind in ("slop", "distance"):
            kind = "phrase" if match.group("phrase") else "near"
        start = match.start(kind) + 1
        value = match.group("slop") or match.group("distance") or ""
        tokens.append(_Token(kind, match.group(kind), start, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, query: str, groups: Mapping[str, Sequence[str]]) -> None:
        self.query = query
        self.groups = groups
        self.tokens = _tokens(query)
        self.i = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("the query is empty", 1, "write terms such as: Ukraine AND NATO")
        node = self._or()
        if self.i < len(self.tokens):
            token = self.tokens[self.i]
            hint = "a ')' has no '(' to close" if token.kind == "rparen" else "check the operators"
            raise QueryError(f"unexpected {token.text!r}", token.column, hint)
        return node

    def _peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _is_word(self, text: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "word" and token.text == text

    def _or(self) -> Node:
        children = [self._and()]
        while self._is_word("OR"):
            self.i += 1
            children.append(self._and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def _and(self) -> Node:
        children = [self._not()]
        while (
            (token := self._peek()) is not None
            and token.kind != "rparen"
            and not self._is_word("OR")
        ):
            if self._is_word("AND"):
                self.i += 1
            children.append(self._not())
        return children[0] if len(children) == 1 else And(tuple(children))

    def _not(self) -> Node:
        if self._is_word("NOT"):
            self.i += 1
            return Not(self._not())
        return self._near()

    def _near(self) -> Node:
        node = self._primary(DEFAULT_FIELDS)
        while (token := self._peek()) is not None and token.kind == "near":
            self.i += 1
            node = Near(node, self._primary(DEFAULT_FIELDS), int(token.value))
        return node

    def _primary(self, fields: tuple[str, ...]) -> Node:
        token = self._peek()
        if token is None:
            raise QueryError(
                "the query ends where a term was expected",
                len(self.query) + 1,
                "remove the trailing operator or add a term",
            )
        self.i += 1
        if token.kind == "lparen":
            node = self._or()
            closing = self._peek()
            if closing is None or closing.kind != "rparen":
                raise QueryError("'(' is never closed", token.column, "add the missing ')'")
            self.i += 1
            return _scoped(node, fields)
        if token.kind == "field":
            name = token.text.rstrip(":")
            if name not in FIELDS:
                raise QueryError(
                    f"unknown field {name!r}", token.column, f"fields are {', '.join(FIELDS)}"
                )
            return self._primary((name,))
        return self._leaf(token, fields)

    def _leaf(self, token: _Token, fields: tuple[str, ...]) -> Node:
        if token.kind == "rparen":
            raise QueryError("')' has no '(' to close", token.column, "remove it or add a '('")
        if token.kind in ("near",) or token.text in ("AND", "OR"):
            raise QueryError(
                f"{token.text} needs a term before it",
                token.column,
                "put a word or phrase on both sides",
            )
        if token.kind == "group":
            return self._group(token, fields)
        if token.kind == "regex":
            return _regex(token, fields)
        if token.kind == "phrase":
            found = tuple(words(token.text.strip('"')))
            if not found:
                raise QueryError("empty phrase", token.column, "put words between the quotes")
            slop = int(token.value) if token.value else None
            return Term(found, fields, prefix=token.text.rstrip('"').endswith("*"), slop=slop)
        return _word(token, fields)

    def _group(self, token: _Token, fields: tuple[str, ...]) -> Node:
        name = token.text[1:]
        if name not in self.groups:
            known = ", ".join(f"@{g}" for g in sorted(self.groups)) or "none defined"
            raise QueryError(
                f"unknown synonym group @{name}",
                token.column,
                f"define it under `synonyms:` in the rule file ({known})",
            )
        options = [
            _word(_Token("word", alt.strip(), token.column), fields) for alt in self.groups[name]
        ]
        return options[0] if len(options) == 1 else Or(tuple(options))


def _word(token: _Token, fields: tuple[str, ...]) -> Term:
    prefix = token.text.endswith("*")
    found = tuple(words(token.text.rstrip("*")))
    if not found:
        raise QueryError(f"{token.text!r} has no letters or digits to match", token.column)
    if "*" in token.text.rstrip("*"):
        raise QueryError("only a trailing * is supported", token.column, "write Zelensk*")
    return Term(found, fields, prefix=prefix)


def _regex(token: _Token, fields: tuple[str, ...]) -> Regex:
    pattern = token.text[1:-1]
    try:
        re.compile(pattern)
    except re.error as e:
        raise QueryError(f"invalid regular expression: {e}", token.column) from e
    return Regex(pattern, fields)


def _scoped(node: Node, fields: tuple[str, ...]) -> Node:
    """`title:(a OR b)`: push a field scope down to the terms that have none of their own."""
    if fields == DEFAULT_FIELDS:
        return node
    if isinstance(node, Term):
        return (
            Term(node.words, fields, node.prefix, node.slop)
            if node.fields == DEFAULT_FIELDS
            else node
        )
    if isinstance(node, Regex):
        return Regex(node.pattern, fields) if node.fields == DEFAULT_FIELDS else node
    if isinstance(node, Near):
        return Near(_scoped(node.left, fields), _scoped(node.right, fields), node.distance)
    if isinstance(node, Not):
        return Not(_scoped(node.child, fields))
    children = tuple(_scoped(c, fields) for c in node.children)
    return And(children) if isinstance(node, And) else Or(children)


def parse_query(query: str, groups: Mapping[str, Sequence[str]] | None = None) -> Node:
    """Parse `query`; QueryError says where (column) and how to fix it."""
    return _Parser(query, groups or {}).parse()


def literal_terms(node: Node) -> list[Term]:
    """Every word/phrase term of a query (for the automaton)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Regex):
        return []
    if isinstance(node, Near):
        return literal_terms(node.left) + literal_terms(node.right)
    if isinstance(node, Not):
        return literal_terms(node.child)
    return [t for child in node.children for t in literal_terms(child)]
