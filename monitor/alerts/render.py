"""Render a match as a Slack message: Block Kit plus a plain `text` fallback. Pure.

Every piece of article-derived text loses its hidden characters (controls, bidi overrides,
zero-width and other format characters), so a title `gnp\u202e.exe` cannot show as
`exe.png`, and is escaped (&, <, >) in mrkdwn objects that are `verbatim`, so a title holding
`<!channel>` or `<@U123>` is shown, never executed. Stored text is not changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.matching.keywords import hit_phrases, term_regex
from monitor.records import AlertFacts, DigestFacts, Hit, SlackMessage
from monitor.text import split_sentences

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
TEXT_LIMIT = 3000
MAX_NEW_QUOTES = 3


# Hidden characters, dropped from text sent to Slack: C0 and C1 controls but tab and newline
# (those that act as spaces become one), and the format characters (Unicode Cf) that display
# as nothing yet reorder or hide text: bidi embeddings, overrides, isolates and marks, zero-
# width space, word joiner and invisible operators, BOM, interlinear annotation, tag
# characters (which can carry a whole invisible message), soft hyphen, and lone surrogates.
# Kept: ZWJ and ZWNJ (U+200D, U+200C), which emoji sequences and Persian, Arabic and Indic
# spelling need and which cannot reorder or hide text; and the Cf marks that are visible
# (Arabic number signs U+0600-0605 and the like).
_HIDDEN_RANGES = (
    (0x00, 0x08),
    (0x0E, 0x1B),
    (0x7F, 0x84),
    (0x86, 0x9F),
    (0xAD, 0xAD),
    (0x061C, 0x061C),
    (0x180E, 0x180E),
    (0x200B, 0x200B),
    (0x200E, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xD800, 0xDFFF),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_SPACE_CONTROLS = "\x0b\x0c\r\x1c\x1d\x1e\x1f\x85"
_HIDDEN: dict[int, str | None] = {
    **{code: None for low, high in _HIDDEN_RANGES for code in range(low, high + 1)},
    **{ord(c): " " for c in _SPACE_CONTROLS},
}


def strip_hidden(text: str) -> str:
    """`text` without the characters that display as nothing yet reorder or hide text."""
    return text.translate(_HIDDEN)


def escape(text: str) -> str:
    """Article text made safe to show in Slack: hidden characters dropped, &, <, > escaped."""
    text = strip_hidden(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Shorten to `limit` characters on a word boundary, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def fit_escaped(text: str, limit: int) -> str:
    """Escape, then make sure the escaped text (entities included) still fits `limit`."""
    size = limit
    while True:
        escaped = escape(truncate(text, size))
        if len(escaped) <= limit or size <= 1:
            return escaped[:limit]
        size -= len(escaped) - limit


def slack_date(value: datetime | None) -> str:
    """Slack date formatting: each reader sees the date in their own time zone."""
    if value is None:
        return "date unknown"
    fallback = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(value.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def headline(facts: AlertFacts) -> str:
    """`John Kirby: "First they gotta win this war"` when a statement leads, else the title."""
    if facts.speaker is None or facts.quote is None:
        return facts.title
    quote = key_sentence(facts.quote, facts.hits).rstrip(" .,")
    return f"{facts.speaker}: “{truncate(quote, HEADER_LIMIT - len(facts.speaker) - 6)}”"


def key_sentence(quote: str, hits: Sequence[Hit]) -> str:
    """The sentence of a long quote that carries most of the rule's terms (the first on a tie)."""
    candidates = split_sentences(quote) or [quote]
    phrases = hit_phrases(hits)
    scores = [sum(term_regex(t).search(c) is not None for t in phrases) for c in candidates]
    return candidates[scores.index(max(scores))]


def render_alert(facts: AlertFacts, *, channel: str, outlets: int = 1) -> SlackMessage:
    """The top-level alert: who said what, in context, where and when, and why it matched.

    `outlets` is how many outlets have reported the story so far (its thread's replies)."""
    sentence = facts.sentence or facts.title
    who = ""
    if facts.speaker is not None and facts.role:
        who = f"{fit_escaped(facts.speaker, 200)}, {fit_escaped(facts.role, 300)}\n"
    meta = f"{who}*{fit_escaped(facts.outlet, 200)}* · {slack_date(facts.published)}"
    if facts.speaker is not None:
        meta += f"\n{fit_escaped(facts.title, 500)}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": fit_escaped(headline(facts), HEADER_LIMIT)},
        },
        {"type": "section", "text": _mrkdwn("> " + fit_escaped(sentence, SECTION_LIMIT - 2))},
        {"type": "section", "text": _mrkdwn(meta)},
        _read_button(facts.url),
        _context(facts, outlets),
    ]
    if facts.mention:
        blocks.insert(
            0, {"type": "section", "text": {"type": "mrkdwn", "text": _ping(facts.mention)}}
        )
    text = f"[{facts.rule}] {headline(facts)} ({facts.outlet}: {facts.title})"
    ping = f"{_ping(facts.mention)} " if facts.mention else ""
    return SlackMessage(channel=channel, text=ping + fit_escaped(text, TEXT_LIMIT), blocks=blocks)


def _ping(mention: str) -> str:
    """The rule's own mention, as Slack markup (it is operator text, never article text)."""
    return {"@here": "<!here>", "@channel": "<!channel>"}.get(mention, mention)


def render_followup(facts: AlertFacts, *, channel: str) -> SlackMessage:
    """A thread reply: another outlet reports the story, with any quotes not seen before."""
    lines = [
        f"Also reported by *{fit_escaped(facts.outlet, 200)}* · {slack_date(facts.published)}",
        fit_escaped(facts.title, 500),
    ]
    lines += [f"> “{fit_escaped(q, 600)}”" for q in facts.new_quotes[:MAX_NEW_QUOTES]]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": _mrkdwn("\n".join(lines))},  # pieces escaped and bounded
        _read_button(facts.url),
    ]
    text = f"Also reported by {facts.outlet}: {facts.title}"
    return SlackMessage(channel=channel, text=fit_escaped(text, TEXT_LIMIT), blocks=blocks)


def why(hits: Sequence[Hit]) -> str:
    """Each term with the fields it hit, in hit order: `join (text), nato (text, title)`."""
    fields: dict[str, list[str]] = {}
    for hit in hits:
        fields.setdefault(hit.term, []).append(hit.field)
    return ", ".join(f"{term} ({', '.join(names)})" for term, names in fields.items())


def _read_button(url: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Read article"},
                "url": strip_hidden(url)[:3000],
                "action_id": "read_article",
            }
        ],
    }


def _context(facts: AlertFacts, outlets: int) -> dict[str, Any]:
    priority = f" · priority: {facts.priority}" if facts.priority != "normal" else ""
    reported = f"reported by {outlets} outlet{'s' if outlets != 1 else ''}"
    return {
        "type": "context",
        "elements": [
            _mrkdwn(
                f"Rule: *{escape(facts.rule)}* · matched: "
                f"{fit_escaped(why(facts.hits), 500)} · {reported}{priority}"
            )
        ],
    }


MAX_BLOCKS = 50


def render_digest(facts: DigestFacts, *, channel: str) -> SlackMessage:
    """One message for the alerts a throttled rule held back in an hour."""
    lines = [
        f"• {fit_escaped(item.headline, 300)} ({fit_escaped(item.outlet, 100)})"
        f"\n   {escape(item.url)}"
        for item in facts.items
    ]
    sections: list[str] = []
    for line in lines:
        if sections and len(sections[-1]) + len(line) + 1 <= SECTION_LIMIT:
            sections[-1] += "\n" + line
        else:
            sections.append(line[:SECTION_LIMIT])
    title = f"{facts.rule}: {len(facts.items)} more alerts this hour (digest)"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit_escaped(title, HEADER_LIMIT)}}
    ]
    blocks += [{"type": "section", "text": _mrkdwn(text)} for text in sections[: MAX_BLOCKS - 2]]
    if len(sections) > MAX_BLOCKS - 2:
        blocks.append({"type": "context", "elements": [_mrkdwn("… more in `monitor status`")]})
    return SlackMessage(channel=channel, text=fit_escaped(title, TEXT_LIMIT), blocks=blocks)
