"""URL canonicalisation, used wherever a URL is an identity (entry keys, article dedupe) and for
the link an alert's button opens.

w3lib (Scrapy's URL library) normalises: scheme and host lower-cased, the host IDNA-encoded,
percent-encoding made uniform, query arguments sorted, the fragment dropped. Two things are ours:
the scheme's default port goes, and so do known tracking parameters (click IDs and campaign
tags, listed with their sources in tracking_parameters.txt). Every other parameter stays, since
sites tell articles apart by `id`, `p`, `share`, `cmp` or `ito`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The URL as an identity: the same page gives the same string, however it was linked."""
    url = url.strip()
    try:
        return _without_default_port(canonicalize_url(_without_tracking(url)))
    except ValueError:
        # an unreadable host or port (`http://[::1`, `http://a:b/`): keep it as written
        return url.partition("#")[0]


def _without_tracking(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [pair for pair in parts.query.split("&") if not is_tracking(pair.partition("=")[0])]
    return urlunsplit(parts._replace(query="&".join(kept)))


def _without_default_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is None or parts.port != _DEFAULT_PORTS.get(parts.scheme):
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition(":")[0]))


def is_tracking(name: str) -> bool:
    """True for a query parameter name (as written in the URL) that only tracks the click."""
    names, prefixes = _tracking_parameters()
    lowered = unquote_plus(name).strip().lower()
    return lowered in names or lowered.startswith(prefixes)


@cache
def _tracking_parameters() -> tuple[frozenset[str], tuple[str, ...]]:
    """The shipped list: exact names, and prefixes (the names ending in `*`)."""
    text = (resources.files("monitor.feeds") / "tracking_parameters.txt").read_text("utf-8")
    entries = [line.partition("#")[0].strip().lower() for line in text.splitlines()]
    names = frozenset(e for e in entries if e and not e.endswith("*"))
    prefixes = tuple(e.removesuffix("*") for e in entries if e.endswith("*"))
    return names, prefixes
