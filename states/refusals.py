"""Why the domain says no: every guard returns all of its reasons, never only the first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """One reason an event or an input is refused.

    ``rule`` is a stable code (for ``--json`` and tests), ``message`` the Chinese text
    shown to staff, ``field`` the input it is about, when there is one.
    """

    rule: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"[{self.field}] " if self.field else ""
        return f"{where}{self.message} ({self.rule})"


def reason_required(reason: str, why: str = "必须说明理由") -> list[Refusal]:
    """The one refusal of an act that needs a reason and was given none."""
    return [] if reason.strip() else [Refusal("reason.missing", why, "reason")]


class Refused(Exception):
    """Raised when a command is refused; carries every reason."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = list(refusals)
        super().__init__("; ".join(str(r) for r in self.refusals))
