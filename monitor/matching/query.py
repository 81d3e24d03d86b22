"""The rule query language: a small boolean grammar over words, phrases and fields.

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr (["AND"] not_expr)*        adjacent terms are ANDed
    not_expr := "NOT" not_expr | near
    near     := primary ["NEAR/" N primary]         both within N words, either order
    primary  := "(" query ")" | FIELD ":" primary | "@" GROUP | "/" REGEX "/"
              | '"' words '"' ["~" N] | WORD ["*"]

Words and phrases match whole words, ignoring case and accents; `Zelensk*` matches any word
starting with `zelensk`; `"Ukraine NATO"~10` wants both words within 10 words of each other.
Fields: title, text, quote (quoted words of statements), speaker, source, url; no field means
title or text. `@name` is a synonym group defined once in the rule file (`Kyiv|Kiev`).
A regex is run by the `regex` package (matching/regexes.py), with a time limit.

NEAR compares word positions, so each side is a word or phrase term, or an OR of them (a
synonym group, `(a OR b)`), and both sides must be able to occur in one field. Anything else
(AND, NOT, a regex, another NEAR) is rejected here, with its column, rather than at match
time. So is what would be silently ignored: a `*` not at the end of a phrase, a `*` in a
`"…"~N` phrase, and nesting deeper than MAX_DEPTH.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import regex

from monitor.matching.regexes import compile_regex
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
MAX_DEPTH = 32  # parentheses, NOTs and field prefixes inside each other
_NEAR_SIDE = "each side of NEAR is a word, a phrase, @group or (a OR b)"


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
        self.depth = 0

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

    @contextmanager
    def _nested(self, token: _Token) -> Iterator[None]:
        """One level deeper; a bound, so that no query can exhaust the evaluators' stack."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(
                f"the query nests more than {MAX_DEPTH} levels deep",
                token.column,
                "simplify it: (a OR (b OR c)) is (a OR b OR c), NOT NOT a is a",
            )
        try:
            yield
        finally:
            self.depth -= 1

    def _not(self) -> Node:
        if self._is_word("NOT"):
            token = self.tokens[self.i]
            self.i += 1
            with self._nested(token):
                return Not(self._not())
        return self._near()

    def _column(self) -> int:
        """Where the next token starts (just past the end when there is none)."""
        token = self._peek()
        return token.column if token is not None else len(self.query) + 1

    def _near(self) -> Node:
        left = self._column()
        node = self._primary(DEFAULT_FIELDS)
        token = self._peek()
        if token is None or token.kind != "near":
            return node
        self.i += 1
        right = self._column()
        near = Near(node, self._primary(DEFAULT_FIELDS), int(token.value))
        _check_near(near, left, right, token.column)
        chained = self._peek()
        if chained is not None and chained.kind == "near":
            raise QueryError(
                "NEAR cannot be chained",
                chained.column,
                "join two proximity tests with AND: (a NEAR/3 b) AND (b NEAR/3 c)",
            )
        return near

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
            with self._nested(token):
                node = self._or()
            closing = self._peek()
            if closing is None or closing.kind != "rparen":
                raise QueryError("'(' is never closed", token.column, "add the missing ')'")
            self.i += 1
            return _scoped(node, fields, token.column)
        if token.kind == "field":
            name = token.text.rstrip(":")
            if name not in FIELDS:
                raise QueryError(
                    f"unknown field {name!r}", token.column, f"fields are {', '.join(FIELDS)}"
                )
            with self._nested(token):
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
        if token.kind == "word" and token.text == "NOT":
            raise QueryError(
                "NOT cannot stand after NEAR/N or a field",
                token.column,
                "put NOT in front: NOT title:x, (a NEAR/3 b) AND NOT c",
            )
        if token.kind == "group":
            return self._group(token, fields)
        if token.kind == "regex":
            return _regex(token, fields)
        if token.kind == "phrase":
            return _phrase(token, fields)
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


def _phrase(token: _Token, fields: tuple[str, ...]) -> Term:
    inside = token.text[1:-1]
    found = tuple(words(inside))
    if not found:
        raise QueryError("empty phrase", token.column, "put words between the quotes")
    prefix = inside.rstrip().endswith("*")
    if "*" in inside.rstrip().rstrip("*"):
        raise QueryError(
            "only the last word of a phrase can end in *", token.column, 'write "Volodymyr Zel*"'
        )
    slop = int(token.value) if token.value else None
    if prefix and slop is not None:
        raise QueryError(
            'a "…"~N phrase matches whole words only',
            token.column,
            "remove the *, or use NEAR: Zelensk* NEAR/5 NATO",
        )
    return Term(found, fields, prefix=prefix, slop=slop)


def _word(token: _Token, fields: tuple[str, ...]) -> Term:
    prefix = token.text.endswith("*")
    found = tuple(words(token.text.rstrip("*")))
    if not found:
        raise QueryError(f"{token.text!r} has no letters or digits to match", token.column)
    if "*" in token.text.rstrip("*"):
        raise QueryError("only a trailing * is supported", token.column, "write Zelensk*")
    return Term(found, fields, prefix=prefix)


def _regex(token: _Token, fields: tuple[str, ...]) -> Regex:
    """Compiled now, as it will run, so that a bad pattern is an error at check time."""
    pattern = token.text[1:-1]
    try:
        compile_regex(pattern)
    except regex.error as e:
        raise QueryError(f"invalid regular expression: {e}", token.column) from e
    except RecursionError as e:  # the `regex` compiler recurses once per nested group
        raise QueryError(
            "the regular expression nests too deeply", token.column, "flatten its groups"
        ) from e
    return Regex(pattern, fields)


def _check_near(near: Near, left: int, right: int, operator: int) -> None:
    """Reject a NEAR the evaluators cannot answer, or that can never hold (columns given)."""
    for side, column in ((near.left, left), (near.right, right)):
        problem = _near_side_problem(side)
        if problem is not None:
            raise QueryError(f"NEAR cannot take {problem} as a side", column, _NEAR_SIDE)
    _check_near_fields(near, operator)


def _near_side_problem(node: Node) -> str | None:
    """What in `node` has no word positions (None: all of it has), so cannot be near anything."""
    if isinstance(node, Term):
        return None
    if isinstance(node, Or):
        return next((p for c in node.children if (p := _near_side_problem(c)) is not None), None)
    if isinstance(node, Regex):
        return "a regex"
    if isinstance(node, Not):
        return "NOT"
    if isinstance(node, And):
        return "AND (or adjacent terms)"
    return "another NEAR"


def _check_near_fields(near: Near, column: int) -> None:
    """Positions are counted within one field: sides that share none can never be near."""
    left, right = _side_fields(near.left), _side_fields(near.right)
    if not set(left) & set(right):
        raise QueryError(
            f"the sides of NEAR share no field ({', '.join(left)} / {', '.join(right)})",
            column,
            "NEAR counts words within one field: scope both sides alike, title:(a NEAR/3 b)",
        )


def _side_fields(node: Node) -> tuple[str, ...]:
    if isinstance(node, Term):
        return node.fields
    if isinstance(node, Or):
        return tuple(dict.fromkeys(f for c in node.children for f in _side_fields(c)))
    return ()


def _scoped(node: Node, fields: tuple[str, ...], column: int) -> Node:
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
        scoped = Near(
            _scoped(node.left, fields, column), _scoped(node.right, fields, column), node.distance
        )
        _check_near_fields(scoped, column)  # `title:(a NEAR/3 text:b)`
        return scoped
    if isinstance(node, Not):
        return Not(_scoped(node.child, fields, column))
    children = tuple(_scoped(c, fields, column) for c in node.children)
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
