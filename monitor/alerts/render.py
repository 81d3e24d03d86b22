"""Render a match as a Slack message: Block Kit plus a plain `text` fallback. Pure.

Every piece of article-derived text is escaped (&, <, >) and the mrkdwn objects that carry
it are `verbatim`, so a title holding `<!channel>` or `<@U123>` is shown, never executed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.feeds.urls import canonical_url
from monitor.matching.keywords import hit_phrases, term_regex
from monitor.records import Article, Match, SlackMessage
from monitor.text import split_sentences

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
TEXT_LIMIT = 3000
MAX_NEW_QUOTES = 3


def escape(text: str) -> str:
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


def headline(article: Article, match: Match) -> str:
    """`John Kirby: "First they gotta win this war"` when a statement leads, else the title."""
    statement = match.statement
    if statement is None:
        return article.title or article.source
    quote = key_sentence(statement.quote, match.terms).rstrip(" .,")
    return f"{statement.speaker}: “{truncate(quote, HEADER_LIMIT - len(statement.speaker) - 6)}”"


def key_sentence(quote: str, terms: Sequence[str]) -> str:
    """The sentence of a long quote that carries most of the rule's terms (the first on a tie)."""
    candidates = split_sentences(quote) or [quote]
    phrases = hit_phrases(terms)
    scores = [sum(term_regex(t).search(c) is not None for t in phrases) for c in candidates]
    return candidates[scores.index(max(scores))]


def render_alert(article: Article, match: Match, *, outlet: str, channel: str) -> SlackMessage:
    """The top-level alert: who said what, in context, where and when, and why it matched.

    It says "reported by 1 outlet"; delivery edits that as follow-ups arrive."""
    title = article.title or article.source
    statement = match.statement
    sentence = match.sentence or title
    who = ""
    if statement is not None and statement.role:
        who = f"{fit_escaped(statement.speaker, 200)}, {fit_escaped(statement.role, 300)}\n"
    meta = f"{who}*{fit_escaped(outlet, 200)}* · {slack_date(article.published)}"
    if statement is not None:
        meta += f"\n{fit_escaped(title, 500)}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": fit_escaped(headline(article, match), HEADER_LIMIT),
            },
        },
        {"type": "section", "text": _mrkdwn("> " + fit_escaped(sentence, SECTION_LIMIT - 2))},
        {"type": "section", "text": _mrkdwn(meta)},
        _read_button(article),
        _context(match),
    ]
    if match.mention:
        blocks.insert(
            0, {"type": "section", "text": {"type": "mrkdwn", "text": _ping(match.mention)}}
        )
    text = f"[{match.rule}] {headline(article, match)} ({outlet}: {title})"
    ping = f"{_ping(match.mention)} " if match.mention else ""
    return SlackMessage(channel=channel, text=ping + fit_escaped(text, TEXT_LIMIT), blocks=blocks)


def _ping(mention: str) -> str:
    """The rule's own mention, as Slack markup (it is operator text, never article text)."""
    return {"@here": "<!here>", "@channel": "<!channel>"}.get(mention, mention)


def render_followup(
    article: Article, match: Match, *, outlet: str, channel: str, new_quotes: list[str]
) -> SlackMessage:
    """A thread reply: another outlet reports the story, with any quotes not seen before."""
    title = article.title or article.source
    lines = [
        f"Also reported by *{fit_escaped(outlet, 200)}* · {slack_date(article.published)}",
        fit_escaped(title, 500),
    ]
    lines += [f"> “{fit_escaped(q, 600)}”" for q in new_quotes[:MAX_NEW_QUOTES]]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": _mrkdwn("\n".join(lines))},  # pieces escaped and bounded
        _read_button(article),
    ]
    text = f"Also reported by {outlet}: {title}"
    return SlackMessage(channel=channel, text=fit_escaped(text, TEXT_LIMIT), blocks=blocks)


def why(hits: Sequence[str]) -> str:
    """`title:nato`, `text:nato`, `text:join` -> `nato (title, text), join (text)`."""
    fields: dict[str, list[str]] = {}
    for hit in hits:
        field, _, term = hit.partition(":")
        fields.setdefault(term or field, []).append(field)
    return ", ".join(f"{term} ({', '.join(names)})" for term, names in fields.items())


def _read_button(article: Article) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Read article"},
                "url": canonical_url(article.source)[:3000],
                "action_id": "read_article",
            }
        ],
    }


def _context(match: Match) -> dict[str, Any]:
    priority = f" · priority: {match.priority}" if match.priority != "normal" else ""
    return {
        "type": "context",
        "elements": [
            _mrkdwn(
                f"Rule: *{escape(match.rule)}* · matched: "
                f"{fit_escaped(why(match.terms), 500)} · reported by 1 outlet{priority}"
            )
        ],
    }


MAX_BLOCKS = 50


def render_digest(rule: str, channel: str, items: Sequence[tuple[str, str | None]]) -> SlackMessage:
    """One message for the alerts a throttled rule held back this hour.

    `items` are the held alerts' fallback texts (already escaped) and article links.
    """
    lines = [f"• {text}" + (f"\n   {escape(link)}" if link else "") for text, link in items]
    sections: list[str] = []
    for line in lines:
        if sections and len(sections[-1]) + len(line) + 1 <= SECTION_LIMIT:
            sections[-1] += "\n" + line
        else:
            sections.append(line[:SECTION_LIMIT])
    title = f"{rule}: {len(items)} more alerts this hour (digest)"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit_escaped(title, HEADER_LIMIT)}}
    ]
    blocks += [{"type": "section", "text": _mrkdwn(text)} for text in sections[: MAX_BLOCKS - 2]]
    if len(sections) > MAX_BLOCKS - 2:
        blocks.append({"type": "context", "elements": [_mrkdwn("… more in `monitor status`")]})
    return SlackMessage(channel=channel, text=fit_escaped(title, TEXT_LIMIT), blocks=blocks)
