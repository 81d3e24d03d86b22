"""Who may see the pages and post actions.

- Bound to loopback, the pages need no token. Bound to any other address, they need the
  token of `server.token_file`: as a bearer header, or as a cookie set by the login form.
- Every POST carries a CSRF token: an HMAC of a per-process secret and the visitor's
  credentials (the token cookie, or "loopback"), so a page on another site cannot make
  the visitor's browser act here.
- `/healthz` answers without a token: orchestrators ask it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from pathlib import Path

from aiohttp import web

from monitor.errors import ConfigError
from monitor.textfile import read_text

COOKIE = "monitor_token"
OPEN_PATHS = frozenset({"/healthz", "/login", "/style.css"})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_token(listen: str, token_file: Path | None) -> str | None:
    """The token the pages require: None on loopback without a token file."""
    host = listen.rpartition(":")[0]
    if token_file is None:
        if is_loopback(host):
            return None
        raise ConfigError(
            f"server.listen {listen}: not a loopback address, so the pages need a token; "
            "set server.token_file to a file holding a long random string (chmod 600)"
        )
    try:
        token = read_text(token_file).strip()
    except (OSError, ValueError) as e:
        raise ConfigError(f"server.token_file: {e}") from None
    if len(token) < 16:
        raise ConfigError(
            f"server.token_file: {token_file}: the token is empty or shorter than 16 "
            "characters; write a long random string (e.g. `openssl rand -hex 32`)"
        )
    return token


class Guard:
    def __init__(self, token: str | None) -> None:
        self.token = token
        self._secret = secrets.token_bytes(32)

    def presented(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[len("Bearer ") :].strip()
        return request.cookies.get(COOKIE)

    def allowed(self, request: web.Request) -> bool:
        if self.token is None or request.path in OPEN_PATHS:
            return True
        given = self.presented(request)
        return given is not None and hmac.compare_digest(given, self.token)

    def accepts(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given, self.token)

    def csrf(self, request: web.Request) -> str:
        who = self.presented(request) or "loopback"
        return hmac.new(self._secret, who.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, request: web.Request, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given, self.csrf(request))
