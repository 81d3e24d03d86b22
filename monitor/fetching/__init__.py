"""HTTP fetching: one shared client, caps on size and time, conditional GET, SSRF guard."""

from monitor.fetching.guard import check_host, is_public_address
from monitor.fetching.http import HttpClient

__all__ = ["HttpClient", "check_host", "is_public_address"]
