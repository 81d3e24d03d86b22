"""The console sender: the embedded default without a Slack token, alerts printed as text."""

from __future__ import annotations

import html
import re
import sys
from typing import Any, TextIO

from monitor.alerts.access import AccessReport
from monitor.alerts.render import strip_hidden
from monitor.records import Delivered, PendingAlert

_BOLD = re.compile(r"\*([^*\n]+)\*")


class ConsoleSender:
    """The embedded default without a Slack token: alerts are printed, readable as text."""

    paced = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def check_access(self) -> AccessReport:
        return AccessReport(None)

    async def close(self) -> None:
        return None

    async def send(self, alert: PendingAlert) -> Delivered:
        stream = self._stream or sys.stdout
        stream.write(console_text(alert) + "\n")
        stream.flush()
        return Delivered(ts=None)

    async def find(self, alert: PendingAlert, channel_id: str | None) -> Delivered | None:
        return None

    async def update(
        self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        return None


def console_text(alert: PendingAlert) -> str:
    """A plain-text rendering of a Slack message's blocks for the terminal."""
    if alert.parent_id is not None:
        lines = [f"  ↳ in the thread of alert #{alert.parent_id}"]
        lines += [f"  {line}" for block in alert.blocks for line in _block_lines(block)]
    else:
        lines = [f"━━━ ALERT #{alert.id} → {alert.channel} " + "━" * 40]
        lines += [line for block in alert.blocks for line in _block_lines(block)]
    text = "\n".join(html.unescape(_BOLD.sub(r"\1", line)) for line in lines)
    return strip_hidden(text) + "\n"  # also stored rows rendered before hidden text was stripped


def _block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [block["text"]["text"].upper()]
    if kind == "section":
        return [_plain_dates(block["text"]["text"])]
    if kind == "context":
        return [_plain_dates(e.get("text", "")) for e in block["elements"]]
    if kind == "actions":
        return [f"{e['text']['text']}: {e['url']}" for e in block["elements"] if "url" in e]
    return []


def _plain_dates(text: str) -> str:
    """`<!date^…|fallback>` -> fallback (what Slack shows where it cannot format)."""
    while "<!date^" in text:
        start = text.index("<!date^")
        end = text.index(">", start)
        fallback = text[start:end].split("|", 1)[-1]
        text = text[:start] + fallback + text[end + 1 :]
    return text
