"""Property test: the compiled matcher and the reference evaluator agree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.matching.compiled import CompiledRules
from monitor.matching.evaluate import Document, evaluate, reference_finder
from monitor.matching.query import And, Near, Node, Not, Or, Term

VOCABULARY = [
    "ukraine",
    "nato",
    "kyiv",
    "kiev",
    "war",
    "membership",
    "zelensky",
    "zelenskyy",
    "summit",
    "door",
]
FIELDS = [("title", "text"), ("title",), ("text",)]

words = st.sampled_from(VOCABULARY)


def terms() -> st.SearchStrategy[Node]:
    return st.builds(
        lambda ws, fields, prefix, slop: Term(
            tuple(w[: max(2, len(w) - 2)] if prefix else w for w in ws)
            if prefix and len(ws) == 1
            else tuple(ws),
            fields,
            prefix=prefix and len(ws) == 1,
            slop=slop if len(ws) > 1 else None,
        ),
        st.lists(words, min_size=1, max_size=3),
        st.sampled_from(FIELDS),
        st.booleans(),
        st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
    )


queries = st.recursive(
    terms(),
    lambda inner: st.one_of(
        st.builds(lambda cs: And(tuple(cs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda cs: Or(tuple(cs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(Not, inner),
        st.builds(lambda a, b, d: Near(a, b, d), terms(), terms(), st.integers(0, 8)),
    ),
    max_leaves=6,
)
texts = st.lists(st.sampled_from([*VOCABULARY, "the", "and", "said"]), max_size=25).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(queries, min_size=1, max_size=4), texts, texts)
def test_compiled_matcher_agrees_with_the_reference(
    query_list: list[Node], title: str, text: str
) -> None:
    document = Document.of({"title": title, "text": text})
    expected = {i: evaluate(q, reference_finder(document)) for i, q in enumerate(query_list)}
    outcome = CompiledRules(query_list).match({"title": title, "text": text})
    assert outcome.timed_out == ()
    got = dict(outcome.matched)
    assert set(got) == {i for i, e in expected.items() if e.matched}
    for i, evaluation in got.items():
        assert {(h, h.phrases) for h in evaluation.hits} == {
            (h, h.phrases) for h in expected[i].hits
        }
