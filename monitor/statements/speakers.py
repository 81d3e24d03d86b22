"""The speaker list (rules/speakers.yaml): canonical names, aliases, roles. Users extend it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import RuleError
from monitor.text import fold as fold_text
from monitor.yamlfile import load_yaml


class Speaker(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    role: str | None = None
    org: str | None = None
    country: str | None = None


class SpeakerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speakers: list[Speaker]


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name: `Orbán` and `orban` meet."""
    return " ".join(fold_text(text).split())


class SpeakerList:
    """Looks up canonical speakers by full name, alias or (unambiguous) surname."""

    def __init__(self, speakers: list[Speaker]) -> None:
        self._by_name: dict[str, Speaker] = {}
        surnames: dict[str, list[Speaker]] = {}
        for speaker in speakers:
            for name in (speaker.name, *speaker.aliases):
                self._by_name[fold(name)] = speaker
            surnames.setdefault(fold(speaker.name.split()[-1]), []).append(speaker)
        self._by_surname = {k: v[0] for k, v in surnames.items() if len(v) == 1}

    def find(self, name: str) -> Speaker | None:
        key = fold(name)
        return self._by_name.get(key) or (self._by_surname.get(key) if " " not in key else None)

    def __len__(self) -> int:
        return len({s.name for s in self._by_name.values()})


def load_speakers(path: Path | None) -> SpeakerList:
    """Load a speakers file; None means an empty list (names are still extracted).

    A path that is not there is an error, not an empty list: the user named that file.
    """
    if path is None:
        return SpeakerList([])
    try:
        doc = load_yaml(path)
    except ValueError as e:
        raise RuleError(str(e)) from e
    try:
        return SpeakerList(SpeakerFile.model_validate(doc.data).speakers)
    except ValidationError as e:
        raise RuleError(doc.describe_errors(e)) from None
