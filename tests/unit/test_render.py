from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

from monitor.alerts import render_alert
from monitor.alerts.console import console_text
from monitor.alerts.facts import alert_facts
from monitor.alerts.render import (
    HEADER_LIMIT,
    fit_escaped,
    render_digest,
    render_followup,
    strip_hidden,
    truncate,
    why,
)
from monitor.records import Article, DigestFacts, DigestItem, Hit, Match, PendingAlert


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
    match = Match(
        rule="Ukraine & NATO",
        channel=None,
        hits=(Hit("text", "nato", ("nato",)),),
        sentence=sentence,
    )
    message = render_alert(alert_facts(article, match, "Kyiv Post"), channel="#c")
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
        hits=(Hit("title", "nato", ("nato",)),),
        sentence="<!here> x",
        mention="@here",
        priority="high",
    )
    message = render_alert(alert_facts(article, match, "Outlet"), channel="#c")
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
        hits=(Hit("text", "nato", ("nato",)),),
        sentence=statement.sentence,
        statement=statement,
    )
    message = render_alert(alert_facts(article, match, "<!here> Outlet & Co"), channel="#c")
    raw = json.dumps({"text": message.text, "blocks": message.blocks})
    for live in ("<script>", "<@U1>", "<!channel>", "<!everyone>", "<!here>", "<b>"):
        assert live not in raw
    assert "&lt;script&gt;" in raw and "&amp; Co" in raw


def test_why_lists_each_term_with_its_fields_in_hit_order() -> None:
    hits = (Hit("text", "join"), Hit("text", "nato"), Hit("title", "nato"))
    assert why(hits) == "join (text), nato (text, title)"


# Hidden characters: controls, bidi overrides, zero-width and other format characters
HIDDEN = "\u202e\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
HIDDEN += "\u200b\u2060\ufeff\u00ad\u0000\u0007\u001b\u007f\u009b\U000e0041\ufff9"


def _hidden_in(text: str) -> set[str]:
    return {c for c in text if c in HIDDEN}


def _statement_match(quote: str, speaker: str, role: str) -> Match:
    from monitor.records import Statement

    statement = Statement(
        speaker=speaker,
        role=role,
        quote=quote,
        kind="direct",
        sentence=f"“{quote},” {speaker} said.",
        start=0,
        end=1,
    )
    return Match(
        rule="r",
        channel=None,
        hits=(Hit("text", "nato", ("nato",)),),
        sentence=statement.sentence,
        statement=statement,
    )


def test_a_reversed_file_name_in_a_title_shows_as_written() -> None:
    message = _render("Download gnp\u202e.exe now", sentence="Kirby said \u2066NATO\u2069.")
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    assert blocks[0]["text"]["text"] == "Download gnp.exe now"
    assert "Kirby said NATO." in blocks[1]["text"]["text"]
    assert "(Kyiv Post: Download gnp.exe now)" in str(message["text"])


def test_no_hidden_character_reaches_slack_from_any_article_field() -> None:
    article = Article(
        source="https://n.example/a\u202e?utm_source=rss",
        title="NATO\u200b summit\u0007 \ufeffends\u00ad",
        paragraphs=("x",),
        published=datetime(2024, 6, 17, 18, tzinfo=UTC),
        author=None,
        sitename=None,
        language=None,
    )
    match = _statement_match(
        quote="The door \u202eto NATO\u202c is open\u2060\u200f",
        speaker="John\u2067 Kirby\u2069",
        role="spokes\u00adman\u001b[31m",
    )
    outlet = "Kyiv\u200e Post\U000e0041\U000e007f"
    message = render_alert(alert_facts(article, match, outlet), channel="#c")
    raw = json.dumps({"text": message.text, "blocks": message.blocks}, ensure_ascii=False)
    assert _hidden_in(raw) == set()
    assert "John Kirby: “The door to NATO is open”" in raw
    assert "John Kirby, spokesman[31m" in raw and "*Kyiv Post*" in raw
    assert "NATO summit ends" in raw and "https://n.example/a" in raw

    facts = alert_facts(article, match, outlet, new_quotes=[HIDDEN])
    followup = render_followup(facts, channel="#c")
    raw = json.dumps({"text": followup.text, "blocks": followup.blocks}, ensure_ascii=False)
    assert _hidden_in(raw) == set()


def test_joiners_that_emoji_and_scripts_need_are_kept() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "می\u200cخواهم"
    message = _render(f"NATO {family} {persian}")
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    assert blocks[0]["text"]["text"] == f"NATO {family} {persian}"


def test_controls_that_act_as_spaces_become_spaces() -> None:
    assert strip_hidden("a\rb\x0bc\x0cd\x1ce\x85f\tg\nh") == "a b c d e f\tg\nh"


def test_stored_text_is_not_changed() -> None:
    article = Article(
        source="https://n.example/a",
        title="gnp\u202e.exe",
        paragraphs=("x",),
        published=None,
        author=None,
        sitename=None,
        language=None,
    )
    match = Match(rule="r", channel=None, hits=(Hit("text", "x"),), sentence="x")
    render_alert(alert_facts(article, match, "O"), channel="#c")
    assert article.title == "gnp\u202e.exe"


def test_digest_items_and_links_are_cleaned() -> None:
    item = DigestItem(headline="gnp\u202e.exe", outlet="O\u200e", url="https://n.example/\u200bb")
    digest = render_digest(DigestFacts(rule="r", items=(item,)), channel="#c")
    raw = json.dumps({"text": digest.text, "blocks": digest.blocks}, ensure_ascii=False)
    assert _hidden_in(raw) == set()
    assert digest.blocks[1]["text"]["text"] == "• gnp.exe (O)\n   https://n.example/b"


def test_the_console_shows_no_hidden_characters_even_from_older_rows() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "gnp\u202e.exe"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "> \x1b[2Jquote\u200b"}},
    ]
    alert = PendingAlert(id=1, channel="#c", text="t", blocks=blocks, attempts=0)
    text = console_text(alert)
    assert _hidden_in(text) == set() and "GNP.EXE" in text and "> [2Jquote" in text


def test_every_control_and_format_character_is_dropped_but_the_deliberate_few() -> None:
    """Checked against this Python's Unicode database, so new format characters show up."""
    kept = {"\t", "\n", "\u200c", "\u200d"}  # and the visible prepended concatenation marks:
    kept |= {chr(c) for c in (*range(0x600, 0x606), 0x6DD, 0x70F, 0x890, 0x891, 0x8E2)}
    kept |= {chr(0x110BD), chr(0x110CD)}
    controls = [
        chr(c)
        for c in range(0x110000)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs") and chr(c) not in kept
    ]
    assert len(controls) > 2000
    assert strip_hidden("".join(controls)).strip(" ") == ""
    assert strip_hidden("".join(sorted(kept))) == "".join(sorted(kept))
