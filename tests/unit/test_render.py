from __future__ import annotations

import json
from datetime import UTC, datetime

from monitor.alerts import render_alert
from monitor.alerts.render import HEADER_LIMIT, fit_escaped, truncate
from monitor.records import Article, Match


def _render(title: str, sentence: str = "Kirby said it.") -> dict[str, object]:
    article = Article(
        source="https://n.example/a?utm_source=rss",
        title=title,
        paragraphs=(sentence,),
        published=datetime(2024, 6, 17, 18, tzinfo=UTC),
        author=None,
        sitename="Kyiv Post",
        language="en",
    )
    match = Match(rule="Ukraine & NATO", channel=None, terms=("NATO",), sentence=sentence)
    message = render_alert(article, match, outlet="Kyiv Post", channel="#c")
    return {"text": message.text, "blocks": message.blocks}


def test_pings_in_article_text_are_escaped_and_verbatim() -> None:
    message = _render("<!channel> <@U123> NATO & Ukraine", sentence="<!here> said Kirby.")
    raw = json.dumps(message)
    for ping in ("<!channel>", "<@U123>", "<!here>"):
        assert ping not in raw
    assert "&lt;!channel&gt; &lt;@U123&gt; NATO &amp; Ukraine" in raw
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    mrkdwn = [b["text"] for b in blocks if "text" in b and b["text"]["type"] == "mrkdwn"]
    assert mrkdwn and all(t["verbatim"] is True for t in mrkdwn)


def test_long_texts_are_cut_on_word_boundaries_within_slack_limits() -> None:
    message = _render("word " * 100 + "&" * 80, sentence="quote " * 1000)
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    header = blocks[0]["text"]["text"]
    assert len(header) <= HEADER_LIMIT and header.endswith("…")
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert len(str(message["text"])) <= 3000


def test_button_links_to_the_article_without_tracking() -> None:
    blocks = _render("t")["blocks"]
    assert isinstance(blocks, list)
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert actions["elements"][0]["url"] == "https://n.example/a"


def test_truncate_and_fit() -> None:
    assert truncate("one two three", 9) == "one two…"
    assert truncate("short", 10) == "short"
    assert len(fit_escaped("<" * 50, 20)) <= 20
    assert not fit_escaped("<" * 50, 20).endswith("&l")


def test_only_the_rules_mention_pings() -> None:
    article = Article(
        source="https://n.example/a",
        title="<!channel> NATO",
        paragraphs=("x",),
        published=None,
        author=None,
        sitename=None,
        language=None,
    )
    match = Match(
        rule="r",
        channel=None,
        terms=("title:nato",),
        sentence="<!here> x",
        mention="@here",
        priority="high",
    )
    message = render_alert(article, match, outlet="Outlet", channel="#c")
    raw = json.dumps(message.blocks)
    assert message.text.startswith("<!here> ")
    assert raw.count("<!here>") == 1 and "<!channel>" not in raw  # the rule's, not the article's
    assert "priority: high" in raw


def test_script_tags_and_pings_in_title_quote_and_outlet_are_inert() -> None:
    from monitor.records import Statement

    quote = "<script>alert(1)</script> <@U1> & <!channel>"
    statement = Statement(
        speaker="John <@U1> Kirby",
        role="<b>spokesman</b>",
        quote=quote,
        kind="direct",
        sentence=f"“{quote},” Kirby said.",
        start=0,
        end=1,
    )
    article = Article(
        source="https://n.example/a",
        title="<script>x</script> <!everyone>",
        paragraphs=("x",),
        published=None,
        author=None,
        sitename=None,
        language=None,
    )
    match = Match(
        rule="r",
        channel=None,
        terms=("text:nato",),
        sentence=statement.sentence,
        statement=statement,
    )
    message = render_alert(article, match, outlet="<!here> Outlet & Co", channel="#c")
    raw = json.dumps({"text": message.text, "blocks": message.blocks})
    for live in ("<script>", "<@U1>", "<!channel>", "<!everyone>", "<!here>", "<b>"):
        assert live not in raw
    assert "&lt;script&gt;" in raw and "&amp; Co" in raw
