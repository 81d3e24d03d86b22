"""canonical_url: tracking parameters go, parameters that name the article stay."""

from __future__ import annotations

import pytest

from monitor.feeds import canonical_url
from monitor.feeds.urls import is_tracking


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.org/a?utm_source=rss&utm_medium=x", "https://news.example.org/a"),
        ("https://n.example/a?id=3&fbclid=abc&gclid=1", "https://n.example/a?id=3"),
        (
            "https://n.example/a?msclkid=1&mc_cid=2&mc_eid=3&_ga=4&igshid=5&yclid=6",
            "https://n.example/a",
        ),
        ("https://n.example/a?UTM_Campaign=x&%75tm_term=y&p=2", "https://n.example/a?p=2"),
        ("http://n.example:80", "http://n.example/"),
        ("https://n.example:443/a", "https://n.example/a"),
        ("http://n.example:443/a", "http://n.example:443/a"),
        ("https://n.example:8443/a#frag", "https://n.example:8443/a"),
        ("https://N.EXAMPLE/Path/Kept?Q=Case", "https://n.example/Path/Kept?Q=Case"),
        ("  https://n.example/a?b=2&a=1  ", "https://n.example/a?a=1&b=2"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize("param", ["share=1", "cmp=rss", "ito=792", "id=7", "p=12", "page=2"])
def test_parameters_that_tell_articles_apart_are_kept(param: str) -> None:
    assert canonical_url(f"https://n.example/story?{param}") == f"https://n.example/story?{param}"
    other = param.split("=")[0] + "=other"
    assert canonical_url(f"https://n.example/story?{param}") != canonical_url(
        f"https://n.example/story?{other}"
    )


@pytest.mark.parametrize("name", ["source", "ref", "session", "cid", "gallery", "campaign"])
def test_only_documented_trackers_go(name: str) -> None:
    """courlan's tracker pattern drops these; they can name content, so we keep them."""
    assert not is_tracking(name)
    assert canonical_url(f"https://n.example/a?{name}=1") == f"https://n.example/a?{name}=1"


def test_the_same_article_linked_two_ways_is_one_key() -> None:
    newsletter = "https://News.example/world/story?id=9&utm_source=nl&mc_cid=ab&mc_eid=cd#comments"
    social = "https://news.example:443/world/story?fbclid=IwAR0&id=9"
    assert (
        canonical_url(newsletter)
        == canonical_url(social)
        == "https://news.example/world/story?id=9"
    )


@pytest.mark.parametrize("url", ["http://[::1/a#x", "http://n.example:port/a#x"])
def test_an_unreadable_url_is_kept_as_written(url: str) -> None:
    assert canonical_url(url) == url.partition("#")[0]
    assert canonical_url(canonical_url(url)) == canonical_url(url)


def test_the_tracking_list_ships_with_the_package() -> None:
    assert is_tracking("utm_anything") and is_tracking("FBCLID") and is_tracking("wt.mc_id")
