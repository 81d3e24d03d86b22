"""trafilatura + cleaning on the seed pages (boilerplate inside the article container)."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.demo import sample_pages
from monitor.errors import ExtractionError
from monitor.extraction import extract_article
from monitor.extraction.decode import decode_html

PAGES = sample_pages()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_seed_page_is_clean_and_complete(name: str, acceptance: dict[str, Any]) -> None:
    facts = acceptance[name.removesuffix(".html")]
    article = extract_article(PAGES[name], url=f"https://n.example/{name}")
    for line in facts["boilerplate"]:
        assert line not in article.text, line
    for fragment in facts["keep"]:
        assert fragment in article.text, fragment
    for statement in facts["statements"]:
        assert statement["quote"] in article.text, statement["quote"]
    assert article.title and article.sitename and article.published is not None
    assert article.language == "en"


def test_metadata_of_one_page() -> None:
    article = extract_article(PAGES["002_e0f8f1b24ebca186.html"], url="https://n.example/a")
    assert article.title == "Kirby: Ukraine must first win the war to join NATO"
    assert article.author == "Daria Shulzhenko"
    assert article.sitename == "Kyiv Post"
    assert article.published is not None and article.published.date().isoformat() == "2024-06-18"
    assert article.paragraphs[0].startswith("Ukraine must first win the war")  # title not repeated


def test_charset_from_header_then_document_then_detection() -> None:
    text = "<html><head><meta charset='iso-8859-1'></head><body><p>Kyiv café</p></body></html>"
    latin1 = text.encode("iso-8859-1")
    assert "café" in decode_html(latin1, "text/html")
    assert "café" in decode_html(text.replace("iso-8859-1", "utf-8").encode(), None)
    assert "café" in decode_html(latin1, "text/html; charset=ISO-8859-1")
    assert "\ufffd" in decode_html(b"<p>bad \xff\xfe bytes</p>", "text/html; charset=utf-8")


def test_page_without_article_is_a_clear_error() -> None:
    with pytest.raises(ExtractionError, match=r"https://n.example/empty: no article text"):
        extract_article(b"<html><body></body></html>", url="https://n.example/empty")
