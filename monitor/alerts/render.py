"""Render a match as a Slack message: Block Kit plus a plain `text` fallback. Pure.

Every piece of article-derived text is escaped (&, <, >) and the mrkdwn objects that carry
it are `verbatim`, so a title holding `<!channel>` or `<@U123>` is shown, never executed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.feeds.urls import canonical_url
from monitor.records import Article, Match, SlackMessage

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
TEXT_LIMIT = 3000


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
    fallback = value.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(value.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def render_alert(article: Article, match: Match, *, outlet: str, channel: str) -> SlackMessage:
    title = article.title or article.source
    sentence = match.sentence or title
    meta = f"*{fit_escaped(outlet, 200)}* · {slack_date(article.published)}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": fit_escaped(title, HEADER_LIMIT)},
        },
        {"type": "section", "text": _mrkdwn("> " + fit_escaped(sentence, SECTION_LIMIT - 2))},
        {"type": "section", "text": _mrkdwn(meta)},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Read article"},
                    "url": canonical_url(article.source)[:3000],
                    "action_id": "read_article",
                }
            ],
        },
        {
            "type": "context",
            "elements": [
                _mrkdwn(
                    f"Rule: *{escape(match.rule)}* · matched: "
                    f"{fit_escaped(', '.join(match.terms), 500)}"
                )
            ],
        },
    ]
    text = f"[{match.rule}] {title} ({outlet}): {sentence}"
    return SlackMessage(channel=channel, text=fit_escaped(text, TEXT_LIMIT), blocks=blocks)
