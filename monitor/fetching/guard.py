"""SSRF guard: refuse loopback, private, link-local and metadata addresses.

`GuardedResolver` sits in the connector, after DNS, so the addresses aiohttp connects to are
the checked ones (a DNS answer cannot change between check and use); `check_host` covers the
IP-literal hosts that aiohttp connects to without asking the resolver.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from monitor.errors import BlockedAddressError


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 is unwrapped first)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then drops every non-public address."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if is_public_address(r["host"])]
        if not allowed:
            raise BlockedAddressError(host, _refusal(host, [r["host"] for r in results]))
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def _refusal(host: str, addresses: list[str]) -> str:
    shown = ", ".join(sorted(set(addresses))) or "no address"
    return (
        f"refused: {host} resolves to {shown}, a loopback/private/link-local address "
        "(set fetch.allow_private_addresses: true to allow it)"
    )


def check_host(url: str, host: str) -> None:
    """Refuse a literal non-public IP host (aiohttp connects to those without resolving).

    Host names are checked by GuardedResolver, in the connector, on every connection.
    """
    literal = _literal_ip(host)
    if literal is not None and not is_public_address(literal):
        raise BlockedAddressError(url, _refusal(host, [literal]))
