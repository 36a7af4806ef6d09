"""The clocks: the machine's, and one fixed by the CHUDING_NOW setting.

Only the composition root (``workflow.runtime.bootstrap``) builds them; every other module is
handed one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from states.clock import Clock, FixedClock


class SystemClock:
    """The machine's clock, in UTC."""

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


def campaign_clock(fixed: str | None) -> Clock:
    """The campaign's clock: fixed at ``fixed`` (simulation and testing), else the machine's."""
    return FixedClock(parse_instant(fixed)) if fixed else SystemClock()
