"""SSRF guard: refuse loopback, private, link-local and metadata addresses.

Feed-provided article URLs and every redirect target pass through `check_host` before a
connection is made; `GuardedResolver` sits in the connector too, so the addresses aiohttp
actually connects to are the checked ones (a DNS answer cannot change between check and use).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

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


async def check_host(url: str, host: str, resolver: Any = None) -> None:
    """Raise BlockedAddressError if `host` is, or resolves only to, a non-public address."""
    literal = _literal_ip(host)
    if literal is not None:
        if not is_public_address(literal):
            raise BlockedAddressError(url, _refusal(host, [literal]))
        return
    inner = resolver or DefaultResolver()
    try:
        results = await inner.resolve(host, 0, socket.AF_UNSPEC)
    except OSError:
        return  # the connection attempt reports the DNS failure itself
    finally:
        if resolver is None:
            await inner.close()
    addresses = [r["host"] for r in results]
    if not any(is_public_address(a) for a in addresses):
        raise BlockedAddressError(url, _refusal(host, addresses))
