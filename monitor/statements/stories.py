"""Stories: the first report of a statement opens one, later reports of it join it. Pure.

Same statement means: same speaker, the shorter quote's content words mostly within the
other (statements/fingerprint.py), and not two different days that the texts name. The
window of article dates in which reports meet is applied by whoever loads the candidates.
Background quotes ("Kirby said in June…") neither open nor join a story.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.records import StoredStatement, StoryChoice
from monitor.statements.fingerprint import content_words, same_statement
from monitor.statements.occasion import same_occasion


def choose_story(
    statements: Sequence[StoredStatement], candidates: Sequence[StoredStatement]
) -> StoryChoice:
    """The story of an earlier report of one of `statements`, else a new story keyed on
    the first direct current statement (else the first current one), else none.

    `candidates` are statements of other articles already in stories, oldest first.
    """
    current = [s for s in statements if not s.background]
    for statement in current:
        words = statement.words or content_words(statement.quote)
        for other in candidates:
            if (
                other.story_id is not None
                and other.speaker == statement.speaker
                and same_statement(
                    statement.speaker,
                    statement.quote,
                    other.speaker,
                    other.quote,
                    words,
                    other.words or None,
                )
                and same_occasion(statement.occasion, other.occasion)
            ):
                return StoryChoice(story_id=other.story_id)
    if not current:
        return StoryChoice()
    key = next((s for s in current if s.kind == "direct"), current[0])
    return StoryChoice(new_key=key)
