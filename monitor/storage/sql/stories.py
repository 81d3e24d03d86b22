"""The writer's transaction: an analysed entry's statements join or open a story, and its
matches become outbox rows. What to decide is given as pure functions (statements/stories.py
and alerts/plan.py); this module only loads what they need and stores what they decide.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from monitor.clock import from_iso, to_iso
from monitor.records import (
    AlertDraft,
    Analysis,
    Article,
    Match,
    PlannedAlert,
    Statement,
    StoredEntry,
    StoredStatement,
)
from monitor.storage.base import WritePolicy
from monitor.storage.codec import dumps, hit
from monitor.storage.sql import statement_index
from monitor.storage.sql.dialect import Db, insert, json_ids, locked, take_turns
from monitor.storage.sql.entries import save_analysis


def write_waiting(
    db: Db,
    transact: Callable[..., object],
    now: datetime,
    policy: WritePolicy,
    limit: int,
) -> list[tuple[int, int | str]]:
    """Write up to `limit` analysed entries, oldest first, each in a transaction of its own
    (one failing does not undo the others): (entry id, rows queued, or the error)."""
    done: list[tuple[int, int | str]] = []
    for entry_id in analysed_entry_ids(db, now, limit):
        try:
            queued = transact(write_alerts, entry_id, now, policy)
        except Exception as e:  # recorded on the entry by the caller; the others go on
            done.append((entry_id, f"{type(e).__name__}: {e}"))
            continue
        done.append((entry_id, int(queued) if isinstance(queued, int) else 0))
    return done


def save_then_write(
    db: Db,
    transact: Callable[..., object],
    entry: StoredEntry,
    analysis: Analysis,
    now: datetime,
    owner: str,
    policy: WritePolicy | None,
) -> tuple[bool, int | str | None]:
    """Store an entry's analysis (one transaction); then, with `policy`, write its stories
    and alerts at once (a second transaction: the entry waits as `analysed` if that fails,
    and the writer takes it up). (saved, rows queued or the error, or None if not written)."""
    saved = bool(transact(save_analysis, entry, analysis, now, owner))
    if not saved or policy is None:
        return saved, None
    try:
        queued = transact(write_alerts, entry.id, now, policy)
    except Exception as e:  # recorded on the entry by the caller
        return saved, f"{type(e).__name__}: {e}"
    return saved, int(queued) if isinstance(queued, int) else 0


def analysed_entry_ids(db: Db, now: datetime, limit: int) -> list[int]:
    rows = db.execute(
        """SELECT id FROM entries WHERE status = 'analysed'
           AND (retry_at IS NULL OR retry_at <= ?) ORDER BY id LIMIT ?""",
        (to_iso(now), limit),
    ).fetchall()
    return [int(r[0]) for r in rows]


def write_alerts(db: Db, entry_id: int, now: datetime, policy: WritePolicy) -> int | None:
    """Story and outbox rows for one analysed entry, then the entry is done (one
    transaction: the caller's). Returns the rows queued; None if the entry was not waiting."""
    # the entry row locked: the processor that analysed it and a writer may both take it up
    row = db.execute(
        f"""SELECT a.id, coalesce(a.sitename, f.name, f.title, f.url) FROM entries e
            JOIN articles a ON a.entry_id = e.id JOIN feeds f ON f.id = e.feed_id
            WHERE e.id = ? AND e.status = 'analysed'{locked(db, "e")}""",
        (entry_id,),
    ).fetchone()
    if row is None:
        return None
    article_id, outlet = int(row[0]), str(row[1])
    article = load_article(db, article_id, with_text=False)
    stored, statements = _statements(db, article_id)
    take_turns(db, _turn_keys(db, article_id, stored))
    story_id, known = _assign_story(db, article_id, stored, article, now, policy)
    queued = 0
    for match in _matches(
        db, article_id, dict(zip((s.id for s in stored), statements, strict=True))
    ):
        draft = AlertDraft(
            match=match,
            article=article,
            statements=statements,
            outlet=outlet,
            story_id=story_id,
            root_alert_id=_root_alert(db, story_id, match.rule),
            alerts_this_hour=_alerts_this_hour(db, match, now),
            known_quotes=known,
            default_channel=policy.default_channel,
        )
        planned = policy.plan_alert(draft)
        if planned is not None:
            _queue(db, planned, entry_id, story_id, match.rule, article_id, now)
            queued += 1
    db.execute(
        "UPDATE entries SET status = 'done', claimed_by = NULL, lease_until = NULL WHERE id = ?",
        (entry_id,),
    )
    return queued


def _turn_keys(db: Db, article_id: int, stored: Sequence[StoredStatement]) -> list[str]:
    """What this write must not decide at the same time as another writer: the stories of
    its speakers, and the hourly count of its throttled rules."""
    speakers = [f"speaker:{s.speaker}" for s in stored if not s.background]
    rules = db.execute(
        "SELECT rule FROM matches WHERE article_id = ? AND throttle IS NOT NULL", (article_id,)
    ).fetchall()
    return speakers + [f"rule:{r[0]}" for r in rules]


def _assign_story(
    db: Db,
    article_id: int,
    stored: Sequence[StoredStatement],
    article: Article,
    now: datetime,
    policy: WritePolicy,
) -> tuple[int | None, tuple[tuple[str, frozenset[str]], ...]]:
    said_at = article.published or now
    candidates = story_candidates(db, article_id, stored, said_at, policy.window)
    choice = policy.choose_story(stored, candidates)
    known: tuple[tuple[str, frozenset[str]], ...] = ()
    story_id = choice.story_id
    if story_id is not None:
        known = tuple(
            (quote, frozenset((words or "").split()))
            for quote, words in db.execute(
                "SELECT min(quote), min(words) FROM statements WHERE story_id = ? "
                "GROUP BY coalesce(words, quote) ORDER BY min(id)",
                (story_id,),
            )
        )
    elif choice.new_key is not None:
        story_id = insert(
            db,
            "stories",
            {
                "speaker": choice.new_key.speaker,
                "key_quote": choice.new_key.quote,
                "first_article_id": article_id,
                "created_at": to_iso(now),
            },
        )
    if story_id is not None:
        db.execute(
            "UPDATE statements SET story_id = ? WHERE article_id = ? AND background = 0",
            (story_id, article_id),
        )
        statement_index.index_article(db, article_id)
    return story_id, known


def story_candidates(
    db: Db,
    article_id: int,
    stored: Sequence[StoredStatement],
    said_at: datetime,
    window: timedelta,
) -> list[StoredStatement]:
    """Current statements of other articles, in stories, by the same speakers, within the
    window of article dates, that may be the same statement as one of `stored`: what a new
    report's statements are compared with, oldest first (choose_story takes the oldest
    story). Found through the statement index (statement_index.py): a bounded number of
    index reads per statement whatever the speaker's history, at the price its docstring
    states. The same words of one story, reported again and again, are compared once."""
    ids: set[int] = set()
    ends = _window(said_at, window)
    for s in stored:
        if s.background:
            continue
        found = statement_index.lookup(
            db,
            s.speaker,
            s.quote,
            statement_index.fingerprint(s.quote, s.words),
            s.occasion.isoformat() if s.occasion else None,
            ends,
        )
        ids.update(found.ids)
    if not ids:
        return []
    # the first statement of each distinct (story, speaker, words, occasion, setting)
    rows = db.execute(
        f"""SELECT id, story_id, speaker, quote, kind, background, occasion, words, setting
            FROM statements WHERE id IN (
                SELECT min(id) FROM statements WHERE id IN {json_ids(db)}
                  AND article_id != ? AND story_id IS NOT NULL AND background = 0
                GROUP BY story_id, speaker, coalesce(words, quote), occasion, setting)
            ORDER BY id""",
        (json.dumps(sorted(ids)), article_id),
    ).fetchall()
    return [_stored_statement(r) for r in rows]


def _window(said_at: datetime, window: timedelta) -> tuple[str | None, str | None]:
    """The window's ends as ISO strings (clamped at the ends of time)."""
    try:
        low = said_at - window
    except OverflowError:
        low = said_at
    try:
        high = said_at + window
    except OverflowError:
        high = said_at
    return to_iso(low), to_iso(high)


def _stored_statement(row: Any) -> StoredStatement:
    return StoredStatement(
        id=int(row[0]),
        story_id=row[1],
        speaker=row[2],
        quote=row[3],
        kind=row[4],
        background=bool(row[5]),
        occasion=date.fromisoformat(row[6]) if row[6] else None,
        words=frozenset(row[7].split()) if row[7] else frozenset(),
        setting=row[8],
    )


def _statements(db: Db, article_id: int) -> tuple[list[StoredStatement], tuple[Statement, ...]]:
    rows = db.execute(
        """SELECT id, story_id, speaker, quote, kind, background, occasion, words, setting,
                  role, sentence, start, "end" FROM statements WHERE article_id = ?
           ORDER BY position, id""",
        (article_id,),
    ).fetchall()
    stored_rows = [_stored_statement(r) for r in rows]
    statements = tuple(
        Statement(
            speaker=r[2],
            role=r[9],
            quote=r[3],
            kind=r[4],
            sentence=r[10],
            start=r[11] or 0,
            end=r[12] or 0,
            background=bool(r[5]),
            occasion=date.fromisoformat(r[6]) if r[6] else None,
            words=stored.words,
            setting=r[8],
        )
        for r, stored in zip(rows, stored_rows, strict=True)
    )
    return stored_rows, statements


def _matches(db: Db, article_id: int, statements: dict[int, Statement]) -> Iterator[Match]:
    rows = db.execute(
        """SELECT rule, channel, hits, sentence, statement_id, followups, mention, priority,
                  throttle FROM matches WHERE article_id = ? ORDER BY id""",
        (article_id,),
    ).fetchall()
    for r in rows:
        yield Match(
            rule=r[0],
            channel=r[1],
            hits=tuple(hit(item) for item in json.loads(r[2])),
            sentence=r[3],
            statement=statements.get(r[4]) if r[4] is not None else None,
            followups=r[5] or "thread",
            mention=r[6],
            priority=r[7] or "normal",
            throttle=r[8],
        )


def _root_alert(db: Db, story_id: int | None, rule: str) -> int | None:
    if story_id is None:
        return None
    row = db.execute(
        "SELECT id FROM outbox WHERE root_key = ?", (root_key(story_id, rule),)
    ).fetchone()
    return None if row is None else int(row[0])


def root_key(story_id: int, rule: str) -> str:
    """A story's top-level alert for a rule is unique: this is its key."""
    return f"{story_id}:{rule}"


def _alerts_this_hour(db: Db, match: Match, now: datetime) -> int:
    if match.throttle is None:
        return 0
    (count,) = db.execute(
        "SELECT count(*) FROM outbox WHERE rule = ? AND kind = 'alert' AND created_at > ?",
        (match.rule, to_iso(now - timedelta(hours=1))),
    ).fetchone()
    return int(count)


def _queue(
    db: Db,
    planned: PlannedAlert,
    entry_id: int,
    story_id: int | None,
    rule: str,
    article_id: int,
    now: datetime,
) -> None:
    (match_id,) = db.execute(
        "SELECT id FROM matches WHERE article_id = ? AND rule = ?", (article_id, rule)
    ).fetchone()
    top = planned.kind == "alert"
    db.execute(
        """INSERT INTO outbox (kind, match_id, entry_id, story_id, rule, root_key, parent_id,
               held, channel, facts, status, attempts, uncertain, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?)""",
        (
            planned.kind,
            match_id,
            entry_id,
            story_id,
            rule,
            root_key(story_id, rule) if top and story_id is not None else None,
            planned.parent_id,
            int(planned.held),
            planned.channel,
            dumps(planned.facts),
            to_iso(now),
        ),
    )


def load_article(db: Db, article_id: int, *, with_text: bool = True) -> Article:
    """A stored article; without its text (no paragraphs) when only its facts are needed."""
    text = "text" if with_text else "''"
    row = db.execute(
        f"""SELECT url, title, {text}, published, author, sitename, language, canonical_url
            FROM articles WHERE id = ?""",
        (article_id,),
    ).fetchone()
    return _article(row)


def _article(row: Any) -> Article:
    url, title, text, published, author, sitename, language, canonical = row
    return Article(
        source=url,
        title=title,
        paragraphs=tuple(text.split("\n\n")) if text else (),
        published=from_iso(published),
        author=author,
        sitename=sitename,
        language=language,
        canonical_url=canonical,
    )


def stored_articles(db: Db, since: datetime) -> list[tuple[Article, str]]:
    """Articles fetched since `since`, oldest first, with their feed's name (backtesting)."""
    rows = db.execute(
        """SELECT a.url, a.title, a.text, a.published, a.author, a.sitename, a.language,
                  a.canonical_url, coalesce(f.name, f.title, f.url)
           FROM articles a JOIN entries e ON e.id = a.entry_id JOIN feeds f ON f.id = e.feed_id
           WHERE a.fetched_at >= ? ORDER BY a.id""",
        (to_iso(since),),
    ).fetchall()
    return [(_article(r[:8]), str(r[8])) for r in rows]


def count_stored(db: Db, since: datetime) -> int:
    row = db.execute("SELECT count(*) FROM articles WHERE fetched_at >= ?", (to_iso(since),))
    return int(row.fetchone()[0])
