"""fold() is the definition it replaced: NFKD, drop combining marks, casefold."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from monitor.text import fold


def _reference(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@given(st.text())
def test_fold_is_nfkd_without_combining_marks_casefolded(text: str) -> None:
    assert fold(text) == _reference(text)


def test_fold_examples() -> None:
    assert fold("Orbán Zelenskyy’s ÉCOLE") == "orban zelenskyy’s ecole"
