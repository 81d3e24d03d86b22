"""monitor.yaml: pydantic models, validated once at load. Unknown keys are errors.

Relative paths (database, rules, token_file) are resolved against the config file's folder,
so a config works the same whatever directory the daemon is started from. A speakers or
boilerplate file named here must exist: the shipped one is the default when the key is absent,
never a silent stand-in for a mistyped path. An empty file is refused too (`{}` means "all
defaults"): more often a truncated or wrong file than a wish.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.durations import Duration
from monitor.errors import ConfigError
from monitor.textfile import read_text, why_missing
from monitor.yamlfile import YamlDocument, load_yaml

DEFAULT_CONFIG = Path("monitor.yaml")
EXAMPLE = "deploy/monitor.yaml"
# A PostgreSQL URL here overrides `database:` (so the password can stay out of the YAML).
DATABASE_URL_ENV = "MONITOR_DATABASE_URL"
SERVER_SCHEMES = ("postgresql://", "postgres://")
USER_AGENT = "monitor/0.1 (+https://github.com/monitor-news/monitor; news-monitoring agent)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(_Strict):
    url: str
    name: str | None = None
    interval: Duration = timedelta(minutes=5)
    robots: bool = True  # respect the article site's robots.txt
    # auto: use the article the feed carries when it is a full one, else fetch the page;
    # always: fetch the page; never: only what the feed carries.
    fetch_article: Literal["auto", "always", "never"] = "auto"

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"feed url {value!r} must start with http:// or https://")
        return value


class FetchConfig(_Strict):
    allow_private_addresses: bool = False
    timeout: Duration = timedelta(seconds=30)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    concurrency: int = Field(default=8, gt=0)
    per_host_concurrency: int = Field(default=2, gt=0)  # requests at once to one host
    per_host_delay: float = Field(default=0.5, ge=0)  # seconds between requests to one host
    # A feed is polled about twice per gap between its entries, never more often than its
    # `interval`, never less often than this.
    max_interval: Duration = timedelta(hours=1)
    user_agent: str = USER_AGENT


class ExtractionConfig(_Strict):
    # Boilerplate patterns and per-site overrides; default: the shipped boilerplate.yaml.
    boilerplate: Path | None = None


class StatementsConfig(_Strict):
    # Speaker list; default: speakers.yaml in the (first) rules folder, else the shipped one.
    speakers: Path | None = None
    # Reports of the same statement this far apart (by article date) are one story.
    window: Duration = timedelta(days=14)


class SlackConfig(_Strict):
    channel: str = "#news-alerts"
    ops_channel: str | None = None  # where broken rule edits and such are reported
    pace: float = Field(default=1.0, ge=0)  # seconds between two messages to one channel
    # With SLACK_WEBHOOK_URL instead of a bot token there are no threads: send follow-ups
    # as messages of their own, or skip them.
    webhook_followups: Literal["separate", "skip"] = "separate"
    api_url: str = "https://slack.com/api/"
    token_file: Path | None = None


class RuntimeConfig(_Strict):
    # CPU work on one item (extraction, statements, matching, a feed's parse); a worker
    # stuck past it is replaced and the item fails, to be retried.
    item_deadline: Duration = timedelta(seconds=60)
    # A rule's regular expression may run this long on one article; then the rule is
    # skipped for that article and the timeout reported.
    regex_timeout: Duration = timedelta(seconds=1)
    # Failed attempts after which an entry (or a feed or alert failing on a bug) is
    # quarantined: shown in `monitor status`, re-queued with `monitor entries retry`.
    max_attempts: int = Field(default=5, gt=0)
    # Unprocessed entries beyond which polling pauses until the processors catch up.
    backlog: int = Field(default=20_000, gt=0)
    # How long a claim on a feed, an entry or a channel lasts without renewal (a running
    # process renews its claims every few seconds); a process that dies loses its claims
    # when they expire, and another process takes the work over.
    lease: Duration = timedelta(seconds=60)


class RetentionConfig(_Strict):
    # The text of articles fetched longer ago than this is emptied (checked every 6 hours);
    # titles, links, statements, stories and alerts are kept, and so is what recognises an
    # article seen before. `null` keeps every text.
    article_text: Duration | None = timedelta(days=90)


def is_server_url(database: object) -> bool:
    """A `postgresql://` URL (the server backend), not a file path (SQLite)."""
    return isinstance(database, str) and database.startswith(SERVER_SCHEMES)


class ServerConfig(_Strict):
    # host:port for the web pages, /healthz and /metrics; off unless set. Loopback needs no
    # token; any other address requires token_file.
    listen: str | None = None
    token_file: Path | None = None

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected host:port (like 127.0.0.1:9108), got {value!r}")
        return value


class Config(_Strict):
    # A SQLite file (the embedded default), or a postgresql://user@host/db URL.
    database: Path | str = Path("monitor.db")
    # Worker processes for the CPU work (default: one per core).
    workers: int | None = Field(default=None, gt=0)
    rules: Path | list[Path] = Path("rules")
    feeds: list[FeedConfig] = Field(default_factory=list)
    fetch: FetchConfig = FetchConfig()
    extraction: ExtractionConfig = ExtractionConfig()
    statements: StatementsConfig = StatementsConfig()
    slack: SlackConfig = SlackConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    server: ServerConfig = ServerConfig()
    retention: RetentionConfig = RetentionConfig()

    @field_validator("database", mode="before")
    @classmethod
    def _database(cls, value: object) -> object:
        if is_server_url(value):
            return value
        if isinstance(value, str) and "://" in value:
            scheme = value.split("://", 1)[0]
            raise ValueError(
                f"unsupported database URL scheme {scheme}://; use a SQLite file path "
                "or a postgresql:// URL"
            )
        return Path(value) if isinstance(value, str) else value

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1

    @property
    def rule_paths(self) -> list[Path]:
        return self.rules if isinstance(self.rules, list) else [self.rules]

    def resolved(self, base: Path) -> Config:
        """Return a copy whose relative paths are taken from `base` (the config's folder)."""

        def fix(p: Path) -> Path:
            return p if p.is_absolute() else base / p

        rules: Path | list[Path] = (
            [fix(p) for p in self.rules] if isinstance(self.rules, list) else fix(self.rules)
        )
        token_file = self.slack.token_file and fix(self.slack.token_file)
        boilerplate = self.extraction.boilerplate and fix(self.extraction.boilerplate)
        speakers = self.statements.speakers and fix(self.statements.speakers)
        server_token = self.server.token_file and fix(self.server.token_file)
        return self.model_copy(
            update={
                "database": self.database if isinstance(self.database, str) else fix(self.database),
                "rules": rules,
                "slack": self.slack.model_copy(update={"token_file": token_file}),
                "extraction": self.extraction.model_copy(update={"boilerplate": boilerplate}),
                "statements": self.statements.model_copy(update={"speakers": speakers}),
                "server": self.server.model_copy(update={"token_file": server_token}),
            }
        )


def config_path(explicit: str | None) -> Path:
    """--config, else $MONITOR_CONFIG, else ./monitor.yaml."""
    return Path(explicit or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def load_config(path: Path) -> Config:
    """Load and validate monitor.yaml; every problem is reported with its file and line."""
    if not path.exists() and not path.is_symlink():
        raise ConfigError(
            f"{path}: config file not found (pass --config PATH or set MONITOR_CONFIG; "
            f"see {EXAMPLE} for an example)"
        )
    if path.is_dir():
        raise ConfigError(f"{path}: a folder, not a config file; pass --config PATH/monitor.yaml")
    try:
        doc = load_yaml(path)
    except ValueError as e:
        raise ConfigError(str(e)) from e
    data = _settings(doc)
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(doc.describe_errors(e)) from None
    config = config.resolved(path.parent)
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        if not is_server_url(url):
            raise ConfigError(f"${DATABASE_URL_ENV}: expected a postgresql:// URL")
        config = config.model_copy(update={"database": url})
    _check_files(config, doc)
    return config


def _settings(doc: YamlDocument) -> dict[str, Any]:
    """The top-level mapping; an empty file or another shape is refused with what to write."""
    if doc.data is None:
        raise ConfigError(
            f"{doc.path}: the file holds no settings; start from {EXAMPLE}, "
            "or write `{}` to run on the defaults"
        )
    if not isinstance(doc.data, dict):
        found = "a list" if isinstance(doc.data, list) else "a single value"
        raise ConfigError(
            f"{doc.path}:1: expected settings (`key: value` lines) at the top level, "
            f"found {found}; see {EXAMPLE}"
        )
    slack = doc.data.get("slack")
    if isinstance(slack, dict) and "token" in slack:
        raise ConfigError(
            f"{doc.path}:{doc.line_of(['slack', 'token'])}: slack.token is not allowed in the "
            "YAML; set SLACK_BOT_TOKEN or point slack.token_file at a file holding the token"
        )
    return doc.data


# A configured data file must exist: the shipped one is a default, not a fallback for a typo.
_DATA_FILES = (
    ("extraction", "boilerplate", "remove the key to use the shipped patterns"),
    (
        "statements",
        "speakers",
        "remove the key to use speakers.yaml beside the rules or the shipped list",
    ),
)


def _check_files(config: Config, doc: YamlDocument) -> None:
    """Each configured speakers or boilerplate file is there (reading it comes later)."""
    problems = []
    for section, key, default in _DATA_FILES:
        path = getattr(getattr(config, section), key)
        if path is None or path.is_file():
            continue
        why = "a folder, not a file" if path.is_dir() else why_missing(path)
        line = doc.line_of([section, key])
        problems.append(
            (line, f"{doc.path}:{line}: {section}.{key}: {path}: {why}; fix the path, or {default}")
        )
    if problems:
        raise ConfigError("\n".join(message for _, message in sorted(problems)))


def slack_token(config: Config) -> str | None:
    """The bot token from $SLACK_BOT_TOKEN or slack.token_file; None means console delivery."""
    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    if token:
        return token
    token_file = config.slack.token_file
    if token_file is None:
        return None
    try:
        token = read_text(token_file).strip()
    except ValueError as e:
        raise ConfigError(f"slack.token_file: {e}") from e
    if not token:
        raise ConfigError(
            f"slack.token_file: {token_file}: the file is empty; write the bot token (xoxb-...) "
            "in it, or set SLACK_BOT_TOKEN"
        )
    return token
