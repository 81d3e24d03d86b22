"""trafilatura + cleaning on the seed pages (boilerplate inside the article container)."""

from __future__ import annotations

from typing import Any

import pytest
import trafilatura
import yaml

from monitor.demo import sample_pages
from monitor.errors import ExtractionError
from monitor.extraction import extract_article
from monitor.extraction.decode import decode_html
from tests.conftest import DATA

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


def _page(body_html: str, head: str = "", charset: str = "utf-8") -> str:
    filler = " ".join(
        f"Paragraph {i} of the report explains what the ministers discussed at length."
        for i in range(3)
    )
    return (
        f'<html lang="en"><head><meta charset="{charset}">{head}<title>T</title></head><body>'
        f"<nav><a href='/'>Home</a></nav><article><h1>T</h1><p>{filler}</p>{body_html}"
        f"<p>{filler}</p></article><footer>(c) Outlet</footer></body></html>"
    )


def test_quote_next_to_boilerplate_inside_the_article_container() -> None:
    html = _page(
        "<p>Advertisement</p><p>“First they gotta win this war,” Kirby said.</p>"
        "<p>Related:</p><ul><li><a href='/x'>Another story entirely</a></li></ul>"
        "<p>“NATO is in Ukraine’s future,” he said.</p><p>Source link</p>"
    )
    article = extract_article(html.encode(), url="https://n.example/a")
    assert "“First they gotta win this war,” Kirby said." in article.paragraphs
    assert "“NATO is in Ukraine’s future,” he said." in article.paragraphs
    for line in ("Advertisement", "Related:", "Source link"):
        assert line not in article.paragraphs


CYRILLIC = (
    "Президент України заявив, що Україна стане членом НАТО після завершення війни. "
    "Міністр закордонних справ наголосив, що рішення ухвалюватимуть усі союзники разом."
)
GERMAN = (
    "Der Bundesaußenminister äußerte sich am Dienstag in Brüssel zu den Gesprächen über die "
    "NATO-Mitgliedschaft der Ukraine. Über die Frage müsse gemeinsam entschieden werden."
)


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        # cp1251, declared in the HTTP header only
        (
            _page(f"<p>{CYRILLIC}</p>", charset="x")
            .replace('<meta charset="x">', "")
            .encode("cp1251"),
            {"content-type": "text/html; charset=windows-1251"},
            CYRILLIC,
        ),
        # cp1251, declared nowhere: detection
        (
            _page(f"<p>{CYRILLIC}</p>").replace('<meta charset="utf-8">', "").encode("cp1251"),
            {},
            CYRILLIC,
        ),
        # latin-1 served as utf-8: the declaration lies, detection wins
        (
            _page(f"<p>{GERMAN}</p>").encode("latin-1"),
            {"content-type": "text/html; charset=utf-8"},
            GERMAN,
        ),
        # a UTF-8 BOM and no declaration
        (
            b"\xef\xbb\xbf"
            + _page(f"<p>{GERMAN}</p>").replace('<meta charset="utf-8">', "").encode("utf-8"),
            {},
            GERMAN,
        ),
    ],
    ids=["cp1251-header", "cp1251-detected", "latin1-declared-utf8", "utf8-bom"],
)
def test_unusual_encodings(body: bytes, headers: dict[str, str], expected: str) -> None:
    article = extract_article(body, url="https://n.example/a", headers=headers)
    assert expected in article.text


def test_invalid_bytes_never_crash_and_keep_the_rest() -> None:
    body = _page(f"<p>{GERMAN}</p>").encode("utf-8").replace(b"Dienstag", b"Dien\xff\xfestag")
    article = extract_article(body, url="https://n.example/a")
    assert "Bundesaußenminister" in article.text and "Dien\ufffd\ufffdstag" in article.text


def test_metadata_from_json_ld_wins_over_meta_tags() -> None:
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "NewsArticle", "headline": "LD headline", "datePublished": '
        '"2024-06-17T18:05:00Z", "author": [{"@type": "Person", "name": "A. Writer"}], '
        '"publisher": {"@type": "Organization", "name": "LD News"}}]}</script>'
        '<meta property="og:title" content="OG title">'
    )
    article = extract_article(_page(f"<p>{GERMAN}</p>", head=ld).encode(), url="https://n.example/")
    assert article.title == "LD headline" and article.author == "A. Writer"
    assert article.sitename == "LD News"
    assert (
        article.published is not None
        and article.published.isoformat() == "2024-06-17T18:05:00+00:00"
    )


def _seeds_with_boilerplate() -> list[str]:
    facts = yaml.safe_load((DATA / "seeds" / "acceptance.yaml").read_text(encoding="utf-8"))
    return sorted(name.replace(".txt", ".html") for name, f in facts.items() if f["boilerplate"])


@pytest.mark.parametrize("name", _seeds_with_boilerplate())
def test_fixture_boilerplate_gets_past_trafilatura_alone(
    name: str, acceptance: dict[str, Any]
) -> None:
    """The seed pages are hard on purpose: trafilatura alone keeps in-body boilerplate."""
    boilerplate = acceptance[name.removesuffix(".html")]["boilerplate"]
    alone = trafilatura.extract(PAGES[name].decode("utf-8"), include_comments=False) or ""
    assert any(line in alone for line in boilerplate)
    ours = extract_article(PAGES[name], url=f"https://n.example/{name}").text
    assert not any(line in ours for line in boilerplate)
