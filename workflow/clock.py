"""The clocks the command and the service read: the real one, or CHUDING_NOW."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from states.clock import Clock, FixedClock


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ClockError(ValueError):
    pass


def parse_instant(text: str, name: str = "CHUDING_NOW") -> datetime:
    """An ISO 8601 instant that must carry its offset (Beijing is +08:00)."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClockError(f"{name}={text!r} is not an ISO 8601 time such as 2024-10-30T18:00:00+08:00") from None
    if instant.tzinfo is None:
        raise ClockError(f"{name}={text!r} has no UTC offset; add one, e.g. +08:00 for Beijing time")
    return instant


def clock_from_env(environ: dict[str, str] | None = None) -> Clock:
    """CHUDING_NOW fixes the clock for simulation and testing; otherwise the real clock."""
    value = (environ if environ is not None else os.environ).get("CHUDING_NOW")
    return FixedClock(parse_instant(value)) if value else SystemClock()
