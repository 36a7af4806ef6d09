"""The errors commands report: light to import, so every command can name them."""

from __future__ import annotations

from dataclasses import dataclass


class Conflict(RuntimeError):
    """Another command changed the case between this one's reading and writing."""

    def __init__(self, case_id: int, version: int):
        self.case_id = case_id
        super().__init__(
            f"case {case_id} was changed by another command while this one ran"
            f" (it was at version {version}); nothing was changed — look at it again and retry"
        )


@dataclass(frozen=True)
class Problem:
    record: int | None  # 1-based; None for the file as a whole
    who: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"record {self.record}" + (f" ({self.who})" if self.who else "") if self.record else "file"
        return f"{where}: {self.field}: {self.message}"


class ImportRefused(ValueError):
    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: nothing imported, {len(problems)} problem(s):\n{lines}")
