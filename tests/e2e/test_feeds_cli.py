"""`monitor feeds add/list/remove/import/export`: autodiscovery, OPML round trip."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_config
from tests.e2e.test_cli import monitor
from tests.servers import NewsSite


def test_add_discovers_the_feed_of_a_home_page_then_list_and_remove(
    tmp_path: Path, news_site: NewsSite
) -> None:
    path = write_config(tmp_path, [])
    added = monitor("feeds", "add", news_site.url + "/", "--config", str(path))
    assert added.returncode == 0, added.stderr
    assert f"added Test News <{news_site.feed_url('news')}>" in added.stdout
    again = monitor("feeds", "add", news_site.feed_url("news"), "--config", str(path))
    assert "already watched" in again.stdout

    listed = monitor("feeds", "list", "--config", str(path))
    assert f"added   Test News  <{news_site.feed_url('news')}>" in listed.stdout
    run = monitor("run", "--once", "--config", str(path))
    assert run.stdout.count("━━━ ALERT #") == 4  # the added feed is polled like the others

    removed = monitor("feeds", "remove", news_site.feed_url("news"), "--config", str(path))
    assert removed.returncode == 0
    assert news_site.feed_url("news") not in monitor("feeds", "list", "--config", str(path)).stdout


def test_config_feeds_cannot_be_removed_from_the_cli(tmp_path: Path, news_site: NewsSite) -> None:
    path = write_config(tmp_path, [{"url": news_site.feed_url("news")}])
    monitor("run", "--once", "--config", str(path))
    result = monitor("feeds", "remove", news_site.feed_url("news"), "--config", str(path))
    assert result.returncode == 1 and "remove it there" in result.stderr


def test_page_without_a_feed_is_a_clear_error(tmp_path: Path, news_site: NewsSite) -> None:
    path = write_config(tmp_path, [])
    page = news_site.article_url(sorted(news_site.pages)[0])
    result = monitor("feeds", "add", page, "--config", str(path))
    assert result.returncode == 1 and "announces no feed" in result.stderr


def test_opml_import_and_export_round_trip(tmp_path: Path) -> None:
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="News"><outline type="rss" text="A &amp; B" '
        'xmlUrl="https://a.example/feed.xml"/></outline>'
        '<outline type="rss" title="C" xmlUrl="https://c.example/rss"/>'
        '<outline text="not a feed"/></body></opml>',
        encoding="utf-8",
    )
    path = write_config(tmp_path, [])
    imported = monitor("feeds", "import", str(opml), "--config", str(path))
    assert "2 feeds added, 0 already watched" in imported.stdout
    exported = monitor("feeds", "export", "--config", str(path))
    assert 'xmlUrl="https://a.example/feed.xml"' in exported.stdout
    assert 'text="A &amp; B"' in exported.stdout
    back = tmp_path / "out.opml"
    back.write_text(exported.stdout, encoding="utf-8")
    again = monitor("feeds", "import", str(back), "--config", str(path))
    assert "0 feeds added, 2 already watched" in again.stdout


def test_broken_opml_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline", encoding="utf-8")
    result = monitor("feeds", "import", str(bad), "--config", str(write_config(tmp_path, [])))
    assert result.returncode == 1 and "not a readable OPML file" in result.stderr
