from __future__ import annotations

import pytest

from monitor.errors import BlockedAddressError
from monitor.fetching import check_host, is_public_address
from monitor.fetching.guard import GuardedResolver


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fc00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


def test_literal_private_host_is_refused_with_a_clear_message() -> None:
    with pytest.raises(BlockedAddressError) as error:
        check_host("http://169.254.169.254/latest/meta-data", "169.254.169.254")
    message = str(error.value)
    assert message.startswith("http://169.254.169.254/latest/meta-data: refused")
    assert "allow_private_addresses" in message


def test_public_literal_host_passes() -> None:
    check_host("http://93.184.216.34/", "93.184.216.34")


async def test_resolver_refuses_names_that_resolve_to_loopback() -> None:
    resolver = GuardedResolver()
    with pytest.raises(BlockedAddressError, match=r"localhost: refused: localhost resolves to"):
        await resolver.resolve("localhost", 80)
    await resolver.close()
