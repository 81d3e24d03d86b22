"""Who may see the pages: loopback without a token, anywhere else only with one."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import Config
from monitor.errors import ConfigError
from monitor.web.app import highlighted, marked
from monitor.web.security import is_loopback, load_token


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("localhost", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
        ("::", False),
        ("monitor.example", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_off_loopback_without_a_token_file_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match=r"server\.token_file"):
        load_token("0.0.0.0:9108", None)
    assert load_token("127.0.0.1:9108", None) is None


def test_a_short_or_missing_token_file_is_refused(tmp_path: Path) -> None:
    short = tmp_path / "token"
    short.write_text("abc\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="shorter than 16"):
        load_token("0.0.0.0:9108", short)
    with pytest.raises(ConfigError, match="nowhere"):
        load_token("0.0.0.0:9108", tmp_path / "nowhere")
    short.write_text("x" * 40 + "\n", encoding="utf-8")
    assert load_token("10.0.0.1:80", short) == "x" * 40


@pytest.mark.parametrize("listen", ["9108", "host:", "host:99999", ":80"])
def test_listen_must_be_host_and_port(listen: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        Config.model_validate({"server": {"listen": listen}})


def test_highlighting_keeps_every_character_in_order() -> None:
    text = "He said: “we will win”. Then “later” too."
    later = text.index("“later”")
    spans = [(9, 22), (later, later + 7), (10, 12), (40, 99)]  # one inside, one past the end
    pieces = highlighted(text, spans)
    assert "".join(t for t, _ in pieces) == text
    assert [t for t, said in pieces if said] == ["“we will win”", "“later”"]
    assert marked("a «bridge» to «membership» now") == [
        ("a ", False),
        ("bridge", True),
        (" to ", False),
        ("membership", True),
        (" now", False),
    ]
