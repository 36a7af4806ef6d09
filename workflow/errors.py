"""The errors commands report: light to import, so every command can name them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from states import idnumber


class Conflict(RuntimeError):
    """Another command changed the case between this one's reading and writing."""

    def __init__(self, case_id: int, version: int):
        self.case_id = case_id
        super().__init__(
            f"case {case_id} was changed by another command while this one ran"
            f" (it was at version {version}); nothing was changed — look at it again and retry"
        )


class BadUsage(ValueError):
    """The command was asked for something that does not exist (exit 2): an unknown
    unit or campaign in a filter, say. With ``field``, the message is said of that
    option: the command line names it ``--field``, a page by its label."""

    def __init__(self, message: str, field: str | None = None):
        self.field, self.message = field, message
        super().__init__(f"--{field}: {message}" if field else message)


@dataclass(frozen=True)
class Problem:
    record: int | None  # 1-based; None for the file as a whole
    who: str
    field: str
    message: str
    rule: str = "import.record"
    place: str | None = None  # in a workbook: the sheet and row (the field is the column's header)

    def __str__(self) -> str:
        where = f"record {self.record}" + (f" ({self.who})" if self.who else "") if self.record else "file"
        return f"{self.place or where}: {self.field}: {self.message}"


class ImportRefused(ValueError):
    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: nothing imported, {len(problems)} problem(s):\n{lines}")


# SQLite quotes the whole stored text it could not read: on a damaged file, bytes of
# whatever the column held (a name, a notice), and control characters for a terminal.
_UNDECODABLE = re.compile(r"Could not decode to UTF-8 column '([^']{0,64})' with text .*", re.S)


def without_personal_data(err: BaseException) -> str:
    """An error as text fit for a log or a status line: the database's own message
    (not the statement and its parameters, nor text it quotes from a damaged file), any
    ID number masked and any control character escaped."""
    cause = getattr(err, "orig", None) or err
    text = f"{type(cause).__name__}: {cause}".strip()
    text = _UNDECODABLE.sub(r"column \1 holds text that is not UTF-8: the file is damaged (run `chuding check`)", text)
    text = "".join(ch if ch.isprintable() or ch == "\n" else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return idnumber.mask_in_text(text)
