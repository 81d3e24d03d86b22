"""One error hierarchy. Every message names the file, line, feed or URL it is about."""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error the user can act on."""


class ConfigError(MonitorError):
    """monitor.yaml (or a file it points to) is missing or invalid."""


class RuleError(MonitorError):
    """A watch-rule file is invalid; the message names the file and line."""


class SourceError(MonitorError):
    """An error about one feed, page or file: `str(e)` reads `<where>: <reason>`."""

    label = ""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{self.label}{url}: {reason}")
        self.url = url
        self.reason = reason


class FetchError(SourceError):
    """An HTTP fetch failed (network, status, size cap, refused address).

    `status` is the HTTP status when there was one; `retry_after` the seconds a 429 or 503
    asked us to wait.
    """

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(url, reason)
        self.status = status
        self.retry_after = retry_after


class BlockedAddressError(FetchError):
    """A feed-provided URL resolves to a loopback/private/link-local address."""


class FeedParseError(SourceError):
    """A fetched feed could not be parsed into entries."""

    label = "feed "


class ExtractionError(SourceError):
    """No article text could be extracted from a page."""


class StorageError(MonitorError):
    """The database cannot be opened, migrated, read or written; the message names it."""


class DatabaseGone(StorageError):
    """The database file was deleted or replaced under a running daemon: it must stop rather
    than write to a file no one else reads."""


class DeliveryError(MonitorError):
    """An alert could not be delivered (the alert stays in the outbox)."""


class NotDelivered(DeliveryError):
    """Slack certainly did not post it (connection refused, an error answer): safe to resend."""


class MaybeDelivered(DeliveryError):
    """Slack may have posted it (timeout, dropped connection, 5xx): look before resending."""


class RateLimited(NotDelivered):
    """429: Slack asks us to wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help until an operator acts (channel_not_found, invalid_auth…)."""


class CannotVerify(DeliveryError):
    """The channel's history could not be read, so whether an earlier, ambiguous send posted
    the alert is unknown: never resend on it.

    `permanent` when only an operator can fix it (a missing scope, the bot not in the channel,
    a rejected token); otherwise check again later (after `retry_after` seconds if Slack said).
    """

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class SlackAuthError(MonitorError):
    """Slack rejects the bot token (invalid, revoked, not sent): nothing can be posted."""
