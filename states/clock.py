"""Time enters the domain only through a Clock; the domain never reads the system clock."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class FixedClock:
    """A clock standing at one instant: CHUDING_NOW, and the tests' fixed moments."""

    def __init__(self, instant: datetime):
        self.instant = require_aware(instant)

    def now(self) -> datetime:
        return self.instant


def require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant {instant.isoformat()} has no UTC offset")
    return instant


def in_beijing(instant: datetime) -> datetime:
    return require_aware(instant).astimezone(BEIJING)


def beijing_text(instant: datetime | None, seconds: bool = True) -> str:
    """The one way an instant is written for people: Beijing time, 2024-10-30 18:00:00
    (staff's tables), or to the minute, 2024-10-30 18:00 (messages); empty for none."""
    if instant is None:
        return ""
    return f"{in_beijing(instant):%Y-%m-%d %H:%M:%S}" if seconds else f"{in_beijing(instant):%Y-%m-%d %H:%M}"
