"""Reading a notice's config file; the rules themselves live in ``states.notice``."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from states.notice import Notice, NoticeError, parse_notice


def read_notice_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except OSError as err:
        raise NoticeError(str(path), [f"cannot be read: {err.strerror}"]) from None
    except UnicodeDecodeError as err:
        raise NoticeError(str(path), [f"not UTF-8 text (byte {err.start}); save it as UTF-8"]) from None


def parse_notice_text(text: str, source: str) -> Notice:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise NoticeError(source, [f"not valid TOML: {err}"]) from None
    return parse_notice(data, source)


_parsed: dict[str, Notice] = {}


def cached_notice(text: str, source: str) -> Notice:
    """Parse once per process per distinct text: commands run many events on one notice."""
    key = hashlib.sha256(text.encode()).hexdigest()
    if key not in _parsed:
        _parsed[key] = parse_notice_text(text, source)
    return _parsed[key]
