"""JSON forms of the records the outbox stores (alert and digest facts)."""

from __future__ import annotations

import json
from typing import Any

from monitor.clock import from_iso, to_iso
from monitor.records import AlertFacts, DigestFacts, DigestItem, Hit


def dumps(facts: AlertFacts | DigestFacts) -> str:
    if isinstance(facts, DigestFacts):
        items = [[i.headline, i.outlet, i.url] for i in facts.items]
        return json.dumps({"digest": facts.rule, "items": items}, ensure_ascii=False)
    record: dict[str, Any] = {
        "rule": facts.rule,
        "title": facts.title,
        "url": facts.url,
        "outlet": facts.outlet,
        "published": to_iso(facts.published),
        "sentence": facts.sentence,
        "hits": [[h.field, h.term, list(h.phrases)] for h in facts.hits],
        "priority": facts.priority,
        "mention": facts.mention,
        "speaker": facts.speaker,
        "role": facts.role,
        "quote": facts.quote,
        "new_quotes": list(facts.new_quotes),
    }
    return json.dumps(record, ensure_ascii=False)


def loads(text: str) -> AlertFacts | DigestFacts:
    data = json.loads(text)
    if "digest" in data:
        return DigestFacts(
            rule=data["digest"], items=tuple(DigestItem(*item) for item in data["items"])
        )
    return AlertFacts(
        rule=data["rule"],
        title=data["title"],
        url=data["url"],
        outlet=data["outlet"],
        published=from_iso(data["published"]),
        sentence=data["sentence"],
        hits=tuple(hit(item) for item in data["hits"]),
        priority=data["priority"],
        mention=data["mention"],
        speaker=data["speaker"],
        role=data["role"],
        quote=data["quote"],
        new_quotes=tuple(data["new_quotes"]),
    )


def hit(item: list[Any]) -> Hit:
    """[field, term, phrases] (phrases absent in rows written before they were kept)."""
    field, term, *rest = item
    return Hit(field=field, term=term, phrases=tuple(rest[0]) if rest else ())
