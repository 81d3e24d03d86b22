"""Reading a file the user wrote (monitor.yaml, rules, speakers, patterns, the token file).

Every way it can fail becomes a ValueError that names the file and says what to do, so each
loader turns it into its own MonitorError subclass instead of letting an OSError or a
UnicodeDecodeError escape as a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path


def read_text(path: Path) -> str:
    """The file's text, which must be UTF-8; ValueError when it cannot be read or decoded."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(unreadable(path, e)) from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ValueError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "save it as UTF-8"
        ) from e


def unreadable(path: Path, error: OSError) -> str:
    """`<path>: <what is wrong>; <what to do>` for an error raised while opening `path`."""
    if isinstance(error, FileNotFoundError):
        return missing(path)
    if isinstance(error, IsADirectoryError):
        return f"{path}: a folder, not a file; give the path of a file"
    if isinstance(error, PermissionError):
        return f"{path}: cannot read the file (Permission denied); fix its permissions"
    return f"{path}: cannot read the file ({error.strerror or error})"


def missing(path: Path) -> str:
    """`<path>: <why it is not there>; <what to do>`."""
    if path.is_symlink():
        return f"{path}: {why_missing(path)}; fix or remove the link"
    return f"{path}: file not found; check the path"


def why_missing(path: Path) -> str:
    """A broken symlink says where it points; anything else is just not there."""
    if path.is_symlink():
        return f"a symlink to {os.readlink(path)}, which does not exist"
    return "not found"
