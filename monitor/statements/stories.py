"""Stories: the first report of a statement opens one, later reports of it join it. Pure.

A story is one speaker on one occasion. Same statement means: same speaker, not two
different occasions that the texts name (days, kinds of occasion, interviewers, places:
statements/occasion.py), and enough words in common (statements/fingerprint.py): the
shorter quote's content words mostly within the other; or, where both texts name the day
and the occasion matches, fewer shared words, since another sentence of the same remarks or
a paraphrase of them shares only some. The window of article dates in which reports meet
is applied by whoever loads the candidates. Background quotes ("Kirby said in June…")
neither open nor join a story.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.records import StoredStatement, StoryChoice
from monitor.statements.fingerprint import content_words, overlaps, same_statement
from monitor.statements.occasion import Occasion, matching_occasion, merge, same_occasion


def story_occasions(candidates: Sequence[StoredStatement]) -> dict[int, Occasion]:
    """What the reports of each story, together, say of its occasion (the first report
    saying each fact): a story whose first report named Friday is not joined by a report of
    Tuesday through a later report that named no day."""
    found: dict[int, Occasion] = {}
    for c in candidates:
        if c.story_id is not None:
            known = found.get(c.story_id, Occasion())
            found[c.story_id] = merge(known, Occasion.of(c.occasion, c.setting))
    return found


def same_story(
    statement: StoredStatement, other: StoredStatement, story: Occasion | None = None
) -> bool:
    """Whether `statement` reports what `other` reported: same speaker and occasion (also
    the occasion of `other`'s story, when given), and the words in common that the
    occasion's certainty asks for."""
    if statement.speaker != other.speaker:
        return False
    mine = Occasion.of(statement.occasion, statement.setting)
    theirs = Occasion.of(other.occasion, other.setting)
    if not same_occasion(mine, theirs) or (story and not same_occasion(mine, story)):
        return False
    words = statement.words or content_words(statement.quote)
    other_words = other.words or content_words(other.quote)
    if same_statement(
        statement.speaker, statement.quote, other.speaker, other.quote, words, other_words
    ):
        return True
    return matching_occasion(mine, theirs) and overlaps(words, other_words)


def choose_story(
    statements: Sequence[StoredStatement], candidates: Sequence[StoredStatement]
) -> StoryChoice:
    """The story of an earlier report of one of `statements`, else a new story keyed on
    the first direct current statement (else the first current one), else none.

    `candidates` are statements of other articles already in stories, oldest first.
    """
    current = [s for s in statements if not s.background]
    stories = story_occasions(candidates)
    for statement in current:
        for other in candidates:
            if other.story_id is not None and same_story(statement, other, stories[other.story_id]):
                return StoryChoice(story_id=other.story_id)
    if not current:
        return StoryChoice()
    key = next((s for s in current if s.kind == "direct"), current[0])
    return StoryChoice(new_key=key)
