from __future__ import annotations

import pytest

from monitor.errors import BlockedAddressError
from monitor.fetching import check_host, is_public_address


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


async def test_literal_private_host_is_refused_with_a_clear_message() -> None:
    with pytest.raises(BlockedAddressError) as error:
        await check_host("http://169.254.169.254/latest/meta-data", "169.254.169.254")
    message = str(error.value)
    assert message.startswith("http://169.254.169.254/latest/meta-data: refused")
    assert "allow_private_addresses" in message


async def test_localhost_name_is_refused() -> None:
    with pytest.raises(BlockedAddressError, match="localhost resolves to"):
        await check_host("http://localhost:8080/x", "localhost")
