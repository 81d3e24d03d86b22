"""Property test: a query the parser accepts never fails at match time.

`monitor rules check` is the promise that a rule will run: whatever query text it lets
through must evaluate, on the reference evaluator and on the compiled matcher alike (and they
must agree). Query texts come from the grammar, with the constructs the evaluators cannot
answer mixed in (AND, NOT, regexes and NEAR inside NEAR), and from a soup of raw tokens.
"""

from __future__ import annotations

from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from monitor.matching.compiled import CompiledRules
from monitor.matching.evaluate import Document, evaluate, reference_finder
from monitor.matching.query import Node, QueryError, parse_query

GROUPS = {"capital": ("Kyiv", "Kiev"), "door": ("door", "open door")}
WORDS = ["Ukraine", "NATO", "Kyiv", "summit", "door", "war", "open"]
ATOMS = [
    *WORDS,
    "Zelensk*",
    "summ*",
    '"open door"',
    '"Ukraine NATO"~3',
    '"NATO summit"~1',
    '"kyiv"~2',
    "@capital",
    "@door",
    "/na+to/",
    "/kyi?v|kiev/",
    "/^ukr/",
    "/[oops/",
]
FIELDS = ["title:", "text:"]
TOKENS = [*ATOMS, *FIELDS, "AND", "OR", "NOT", "NEAR/0", "NEAR/3", "(", ")", "@nogroup", "*"]
TEXT_WORDS = ["ukraine", "nato", "kyiv", "kiev", "summit", "open", "door", "war", "the", "aa"]

atoms = st.one_of(
    st.sampled_from(ATOMS),
    st.builds(lambda field, atom: field + atom, st.sampled_from(FIELDS), st.sampled_from(ATOMS)),
)


OPERATORS = ["{} AND {}", "{} {}", "{} OR {}", "NOT {}", "({})", "title:({})", "{} NEAR/2 {}"]


@st.composite
def grammar_queries(draw: st.DrawFn, depth: int = 3) -> str:
    """A query from the grammar, at most `depth` operators deep."""
    operator = draw(st.sampled_from(["", *OPERATORS])) if depth else ""
    if not operator:
        return draw(atoms)
    operands = [draw(grammar_queries(depth - 1)) for _ in range(operator.count("{}"))]
    return operator.format(*operands)


token_soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=10).map(" ".join)
texts = st.lists(st.sampled_from(TEXT_WORDS), max_size=20).map(" ".join)


def _parsed(query: str) -> Node | None:
    try:
        return parse_query(query, GROUPS)
    except QueryError:
        return None


def _evaluates_alike(node: Node, title: str, text: str) -> None:
    document = Document.of({"title": title, "text": text})
    expected = evaluate(node, reference_finder(document))
    outcome = CompiledRules([node]).match({"title": title, "text": text})
    assert outcome.timed_out == ()
    got = dict(outcome.matched)
    assert (0 in got) is expected.matched
    if expected.matched:
        assert {(h, h.phrases) for h in got[0].hits} == {(h, h.phrases) for h in expected.hits}


@settings(max_examples=400, deadline=None)
@given(grammar_queries(), texts, texts)
def test_every_accepted_query_evaluates(query: str, title: str, text: str) -> None:
    node = _parsed(query)
    if node is not None:
        _evaluates_alike(node, title, text)


@settings(max_examples=400, deadline=None)
@given(token_soup, texts, texts)
def test_token_soup_is_rejected_cleanly_or_evaluates(query: str, title: str, text: str) -> None:
    node = _parsed(query)  # anything but a QueryError fails the test
    if node is not None:
        _evaluates_alike(node, title, text)


UNSHRUNK = settings(phases=[Phase.generate], database=None, max_examples=2000)


def test_the_strategies_reach_accepted_and_rejected_near_queries() -> None:
    """The properties above would hold vacuously if no NEAR query (or every one) parsed.

    `find` raises NoSuchExample when the strategy never produces what is asked.
    """
    for strategy in (grammar_queries(), token_soup):
        find(strategy, lambda q: "NEAR" in q and _parsed(q) is not None, settings=UNSHRUNK)
        find(strategy, lambda q: "NEAR" in q and _parsed(q) is None, settings=UNSHRUNK)
