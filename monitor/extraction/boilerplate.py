"""The boilerplate pattern file: global patterns plus per-site overrides, validated at load.

The file is data (monitor/extraction/boilerplate.yaml, commented); an operator points
`extraction.boilerplate` in monitor.yaml at their own copy to fix an outlet without code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cssselect import GenericTranslator, SelectorError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.errors import ConfigError
from monitor.yamlfile import load_yaml

DropKind = Literal["line", "block", "teaser", "tail"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(_Strict):
    name: str
    match: str
    drop: DropKind = "line"

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"invalid regular expression {value!r}: {e}") from e
        return value

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.match)


class SiteOverride(_Strict):
    """One outlet's fixes: elements to remove before extraction, and extra line patterns."""

    remove: tuple[str, ...] = ()
    patterns: tuple[Pattern, ...] = ()

    @field_validator("remove")
    @classmethod
    def _selectors_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for selector in value:
            try:
                GenericTranslator().css_to_xpath(selector)
            except SelectorError as e:
                raise ValueError(f"invalid CSS selector {selector!r}: {e}") from e
        return value


class Boilerplate(_Strict):
    patterns: tuple[Pattern, ...]
    sites: dict[str, SiteOverride] = Field(default_factory=dict)

    def site_for(self, url: str) -> SiteOverride:
        """The override for `url`'s host: `example.com` covers www.example.com too."""
        host = (urlsplit(url).hostname or "").lower()
        for domain, override in self.sites.items():
            domain = domain.lower().lstrip(".")
            if host == domain or host.endswith("." + domain):
                return override
        return SiteOverride()

    def patterns_for(self, url: str) -> tuple[Pattern, ...]:
        return self.site_for(url).patterns + self.patterns


@lru_cache(maxsize=1024)
def _compiled(expression: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{expression})", re.I)


def shipped_boilerplate_path() -> Path:
    return Path(str(resources.files("monitor.extraction") / "boilerplate.yaml"))


def load_boilerplate(path: Path | None = None) -> Boilerplate:
    """Load a boilerplate file (default: the shipped one, read once); errors name file and line."""
    if path is None:
        return _shipped()
    return _load(path)


@lru_cache(maxsize=1)
def _shipped() -> Boilerplate:
    return _load(shipped_boilerplate_path())


def _load(path: Path) -> Boilerplate:
    try:
        doc = load_yaml(path)
    except ValueError as e:
        raise ConfigError(str(e)) from e
    try:
        return Boilerplate.model_validate(doc.data)
    except ValidationError as e:
        raise ConfigError(doc.describe_errors(e)) from None
