"""What the web pages read: plain queries on either backend (run through Store.view).

Each function takes a database connection (storage/sql/dialect.Db) and returns small typed
records; the pages render them. Nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.clock import from_iso, to_iso
from monitor.storage.sql.dialect import Db

STORIES_PER_PAGE = 50


@dataclass(frozen=True)
class Report:
    """One outlet's article in a story."""

    article_id: int
    outlet: str
    url: str
    title: str | None
    published: datetime | None
    fetched: datetime | None


@dataclass(frozen=True)
class AlertState:
    id: int
    kind: str
    rule: str | None
    status: str
    error: str | None
    channel_id: str | None
    ts: str | None

    @property
    def permalink(self) -> str | None:
        """Slack's archive link of a posted message (it redirects into the workspace)."""
        if not self.channel_id or not self.ts:
            return None
        return f"https://slack.com/archives/{self.channel_id}/p{self.ts.replace('.', '')}"


@dataclass
class Story:
    id: int
    speaker: str
    role: str | None
    quote: str
    created: datetime | None
    reports: list[Report] = field(default_factory=list)
    alerts: list[AlertState] = field(default_factory=list)


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def stories(db: Db, page: int = 0, story_id: int | None = None) -> list[Story]:
    """Newest first (or the one story), each with its outlets and its alerts."""
    if story_id is not None:
        rows = db.execute(
            "SELECT id, speaker, key_quote, created_at FROM stories WHERE id = ?", (story_id,)
        ).fetchall()
    else:
        rows = db.execute(
            "SELECT id, speaker, key_quote, created_at FROM stories ORDER BY id DESC "
            "LIMIT ? OFFSET ?",
            (STORIES_PER_PAGE, page * STORIES_PER_PAGE),
        ).fetchall()
    found = {int(r[0]): Story(int(r[0]), r[1], None, r[2], from_iso(r[3])) for r in rows}
    if not found:
        return []
    ids = list(found)
    for story, role in db.execute(
        f"SELECT story_id, role FROM statements WHERE story_id IN ({_marks(ids)}) "
        "AND role IS NOT NULL ORDER BY id",
        ids,
    ).fetchall():
        found[int(story)].role = found[int(story)].role or role
    for r in db.execute(
        f"""SELECT DISTINCT s.story_id, a.id, coalesce(a.sitename, f.name, f.title, f.url),
                   a.url, a.title, a.published, a.fetched_at
            FROM statements s JOIN articles a ON a.id = s.article_id
            JOIN entries e ON e.id = a.entry_id JOIN feeds f ON f.id = e.feed_id
            WHERE s.story_id IN ({_marks(ids)}) ORDER BY a.id""",
        ids,
    ).fetchall():
        report = Report(int(r[1]), r[2], r[3], r[4], from_iso(r[5]), from_iso(r[6]))
        found[int(r[0])].reports.append(report)
    for r in db.execute(
        f"""SELECT story_id, id, kind, rule, status, last_error, slack_channel, ts FROM outbox
            WHERE story_id IN ({_marks(ids)}) ORDER BY id""",
        ids,
    ).fetchall():
        found[int(r[0])].alerts.append(AlertState(int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7]))
    return [found[i] for i in ids]


@dataclass(frozen=True)
class SaidItem:
    statement_id: int
    article_id: int
    story_id: int | None
    quote: str
    kind: str
    said: datetime | None
    outlet: str


def speakers(db: Db) -> list[tuple[str, int, datetime | None]]:
    """(speaker, statements, last said), the most recent first."""
    rows = db.execute(
        "SELECT speaker, count(*), max(said_at) FROM statements WHERE background = 0 "
        "GROUP BY speaker ORDER BY max(said_at) DESC, speaker LIMIT 500"
    ).fetchall()
    return [(r[0], int(r[1]), from_iso(r[2])) for r in rows]


def said_by(db: Db, speaker: str, rule: str | None) -> list[SaidItem]:
    """A speaker's statements over time, newest first; with `rule`, only in articles that
    rule matched."""
    where, params = "s.speaker = ?", [speaker]
    if rule:
        where += " AND EXISTS (SELECT 1 FROM matches m WHERE m.article_id = s.article_id "
        where += "AND m.rule = ?)"
        params.append(rule)
    rows = db.execute(
        f"""SELECT s.id, s.article_id, s.story_id, s.quote, s.kind, s.said_at,
                   coalesce(a.sitename, a.url)
            FROM statements s JOIN articles a ON a.id = s.article_id
            WHERE {where} ORDER BY s.said_at DESC, s.id DESC LIMIT 500""",
        params,
    ).fetchall()
    return [SaidItem(int(r[0]), int(r[1]), r[2], r[3], r[4], from_iso(r[5]), r[6]) for r in rows]


def rule_names(db: Db) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT rule FROM matches ORDER BY rule")]


@dataclass(frozen=True)
class FoundStatement:
    speaker: str
    role: str | None
    quote: str
    kind: str
    start: int
    end: int
    story_id: int | None
    background: bool


@dataclass(frozen=True)
class RuleMatch:
    rule: str
    hits: list[tuple[str, str]]  # (field, term)
    sentence: str


@dataclass(frozen=True)
class ArticleView:
    id: int
    url: str
    title: str | None
    text: str
    published: datetime | None
    outlet: str
    author: str | None
    dropped: list[tuple[str, str, str]]  # (line, pass, pattern)
    statements: list[FoundStatement]
    matches: list[RuleMatch]


def article(db: Db, article_id: int) -> ArticleView | None:
    row = db.execute(
        """SELECT a.id, a.url, a.title, a.text, a.published,
                  coalesce(a.sitename, f.name, f.title, f.url), a.author
           FROM articles a JOIN entries e ON e.id = a.entry_id JOIN feeds f ON f.id = e.feed_id
           WHERE a.id = ?""",
        (article_id,),
    ).fetchone()
    if row is None:
        return None
    statements = [
        FoundStatement(r[0], r[1], r[2], r[3], r[4] or 0, r[5] or 0, r[6], bool(r[7]))
        for r in db.execute(
            """SELECT speaker, role, quote, kind, start, "end", story_id, background
               FROM statements WHERE article_id = ? ORDER BY position, id""",
            (article_id,),
        ).fetchall()
    ]
    matches = [
        RuleMatch(r[0], [(h[0], h[1]) for h in json.loads(r[1])], r[2])
        for r in db.execute(
            "SELECT rule, hits, sentence FROM matches WHERE article_id = ? ORDER BY id",
            (article_id,),
        ).fetchall()
    ]
    return ArticleView(
        id=int(row[0]),
        url=row[1],
        title=row[2],
        text=row[3],
        published=from_iso(row[4]),
        outlet=row[5],
        author=row[6],
        dropped=_dropped(db, article_id),
        statements=statements,
        matches=matches,
    )


def _dropped(db: Db, article_id: int) -> list[tuple[str, str, str]]:
    """What the cleaning dropped, as stored with the article (NULL: stored before the
    cleaning's record was kept, or pruned by retention)."""
    row = db.execute("SELECT dropped FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None or not row[0]:
        return []
    return [(str(d[0]), str(d[1]), str(d[2])) for d in json.loads(row[0])]


def recent_articles(
    db: Db, limit: int = 50
) -> list[tuple[int, str | None, str, str, datetime | None]]:
    """(id, title, outlet, url, fetched), newest first."""
    rows = db.execute(
        """SELECT a.id, a.title, coalesce(a.sitename, a.url), a.url, a.fetched_at
           FROM articles a ORDER BY a.id DESC LIMIT ?""",
        (limit,),
    ).fetchall()
    return [(int(r[0]), r[1], r[2], r[3], from_iso(r[4])) for r in rows]


def articles_per_day(db: Db, now: datetime, days: int = 7) -> dict[str, dict[str, int]]:
    """feed URL -> {day: articles} for the last `days` days."""
    rows = db.execute(
        """SELECT f.url, substr(a.fetched_at, 1, 10), count(*)
           FROM articles a JOIN entries e ON e.id = a.entry_id JOIN feeds f ON f.id = e.feed_id
           WHERE a.fetched_at >= ? GROUP BY f.url, substr(a.fetched_at, 1, 10)""",
        (to_iso(now - timedelta(days=days)),),
    ).fetchall()
    found: dict[str, dict[str, int]] = {}
    for url, day, count in rows:
        found.setdefault(url, {})[day] = int(count)
    return found


@dataclass(frozen=True)
class RuleActivity:
    rule: str
    matches_day: int
    matches_week: int
    alerts_day: int
    alerts_week: int


def rule_activity(db: Db, now: datetime) -> list[RuleActivity]:
    day, week = to_iso(now - timedelta(days=1)), to_iso(now - timedelta(days=7))
    counts: dict[str, list[int]] = {}
    for rule, in_day, in_week in db.execute(
        """SELECT rule, sum(CASE WHEN matched_at >= ? THEN 1 ELSE 0 END), count(*)
           FROM matches WHERE matched_at >= ? GROUP BY rule""",
        (day, week),
    ).fetchall():
        counts.setdefault(rule, [0, 0, 0, 0])[:2] = [int(in_day or 0), int(in_week)]
    for rule, in_day, in_week in db.execute(
        """SELECT rule, sum(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), count(*)
           FROM outbox WHERE kind = 'alert' AND rule IS NOT NULL AND created_at >= ?
           GROUP BY rule""",
        (day, week),
    ).fetchall():
        counts.setdefault(rule, [0, 0, 0, 0])[2:] = [int(in_day or 0), int(in_week)]
    return [RuleActivity(rule, *c) for rule, c in sorted(counts.items())]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    status: str
    channel: str
    rule: str | None
    attempts: int
    error: str | None
    created: datetime | None
    retry_at: datetime | None
    story_id: int | None


def outbox_items(db: Db, limit: int = 200) -> list[OutboxItem]:
    """Alerts not sent: pending, failed, unverified, quarantined; newest first."""
    rows = db.execute(
        """SELECT id, kind, status, channel, rule, attempts, last_error, created_at,
                  next_attempt_at, story_id
           FROM outbox WHERE status != 'sent' ORDER BY id DESC LIMIT ?""",
        (limit,),
    ).fetchall()
    return [
        OutboxItem(
            int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), r[6], from_iso(r[7]), from_iso(r[8]), r[9]
        )
        for r in rows
    ]
