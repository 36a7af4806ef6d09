"""What every command shares: the runtime, the output conventions and the exit codes.

Exit codes: 0 done; 1 refused (every reason printed); 2 bad usage; 3 conflict with a
concurrent command; 4 database or notice config unusable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from states.refusals import Refusal, Refused
from workflow.store.sql import MAX_ID

if TYPE_CHECKING:
    from workflow.runtime.bootstrap import Runtime

EXIT_REFUSED, EXIT_USAGE, EXIT_CONFLICT, EXIT_UNUSABLE = 1, 2, 3, 4

JsonOut = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
# Numbers a database key can hold: larger ones, and negative ones, are bad usage (exit 2).
CaseId = Annotated[int, typer.Argument(help="The case number.", min=1, max=MAX_ID)]
RowId = Annotated[int, typer.Argument(min=1, max=MAX_ID)]
Limit = Annotated[int, typer.Option(help="At most this many, newest first.", min=1, max=100_000)]
Reason = Annotated[str, typer.Option("--reason", "-r", help="Why (recorded in the history).")]


class Options:
    """The global options, kept until the runtime is first needed."""

    db: str | None = None
    operator: str | None = None
    built: Runtime | None = None


OPTIONS = Options()


def runtime() -> Runtime:
    """The composition root's runtime, from the settings with ``--db`` and ``--as`` on top."""
    if OPTIONS.built is None:
        from workflow.runtime.bootstrap import bootstrap

        OPTIONS.built = bootstrap(database_url=OPTIONS.db, operator=OPTIONS.operator)
    return OPTIONS.built


def who() -> str | None:
    """The login the command acts as; the use case settles who that is."""
    return runtime().settings.operator


def read_password(prompt: str) -> str:
    """A password from a prompt (twice, hidden) or, when piped, the first line of standard
    input; never from the command line, where others could read it."""
    import sys

    if sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    if not line.strip():
        from workflow.errors import BadUsage

        raise BadUsage("no password on standard input: give it as the first line")
    return line.rstrip("\r\n")


# ---- output -------------------------------------------------------------------------

def _json_value(value: Any) -> Any:
    """One convention for every time in --json: ISO 8601 in Beijing time with its offset,
    2024-10-30T18:00:00+08:00 (dates as 2024-10-30)."""
    from datetime import date, datetime

    from states.clock import in_beijing

    if isinstance(value, datetime):
        return in_beijing(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def emit(as_json: bool, data: Any, human: Callable[[], None]) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_value))
    else:
        human()


def fail(as_json: bool, code: int, kind: str, lines: list[str], data: Any = None) -> None:
    """Every failure, in text or in the one JSON shape the README documents:
    {"ok": false, "error": KIND, "reasons": [{"rule", "field", "message", ...}]}."""
    if as_json:
        reasons = data or [{"rule": kind, "field": None, "message": line} for line in lines]
        typer.echo(json.dumps({"ok": False, "error": kind, "reasons": reasons}, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"refused ({kind}):", err=True)
        for line in lines:
            typer.echo(f"  - {line}", err=True)
    raise typer.Exit(code)


def beijing(instant: Any) -> str:
    """Staff's tables name times to the second."""
    from states.clock import beijing_text

    return beijing_text(instant)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    shown = Table(title=escape(title))
    for column in columns:
        shown.add_column(column)
    for row in rows:
        # Data is shown as it is: a name like "[/]" or "[link=…]" is text, not markup.
        shown.add_row(*("" if v is None else escape(str(v)) for v in row))
    Console(highlight=False).print(shown)


# ---- errors -------------------------------------------------------------------------

def _refused(as_json: bool, refusals: list[Refusal]) -> None:
    fail(as_json, EXIT_REFUSED, "refused", [str(r) for r in refusals],
         [{"rule": r.rule, "field": r.field, "message": r.message} for r in refusals])


def _busy(err: Exception) -> bool:
    text = str(getattr(err, "orig", err)).lower()
    return "database is locked" in text or "database is busy" in text or "lock timeout" in text


def _database_error(as_json: bool, err: Exception) -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    from workflow.errors import without_personal_data

    if isinstance(err, IntegrityError):
        # Two commands wrote the same thing at once; the database kept one. Its own text
        # would name the values (an ID number among them): say what happened instead.
        fail(as_json, EXIT_CONFLICT, "conflict", [
            "another command wrote the same record at the same moment; nothing was changed"
            f" — look again and retry ({without_personal_data(err).partition(chr(10))[0]})"])
    if isinstance(err, OperationalError) and _busy(err):
        fail(as_json, EXIT_CONFLICT, "busy", [
            "the database is busy with another command beyond the wait allowed; nothing was changed"
            " — try again"])
    fail(as_json, EXIT_UNUSABLE, "database", [without_personal_data(err)])


def _errors() -> list[tuple[tuple[type[BaseException], ...], Callable[[bool, Any], None]]]:
    """Each kind of error the domain, the settings and the database raise, and its answer."""
    from sqlalchemy.exc import SQLAlchemyError

    from notifications.errors import SettingsError
    from states.calendar import UnknownCalendarYear
    from states.notice import NoticeError
    from workflow.errors import BadUsage, Conflict, ImportRefused
    from workflow.runtime.clock import ClockError
    from workflow.store.cases import CaseNotFound
    from workflow.store.db import DatabaseError
    from workflow.store.materials import MissingObject, StoreUnavailable
    from workflow.usecases.campaigns import UnknownCampaign

    return [
        ((Refused,), lambda j, e: _refused(j, e.refusals)),
        ((ImportRefused,), lambda j, e: fail(j, EXIT_REFUSED, "import", [f"{e.source}: nothing imported"]
                                             + [str(p) for p in e.problems], [p.__dict__ for p in e.problems])),
        ((CaseNotFound, UnknownCampaign, UnknownCalendarYear), lambda j, e: fail(j, EXIT_REFUSED, "refused", [str(e)])),
        ((Conflict,), lambda j, e: fail(j, EXIT_CONFLICT, "conflict", [str(e)])),
        ((NoticeError,), lambda j, e: fail(j, EXIT_UNUSABLE, "notice", [f"{e.source}: {p}" for p in e.problems])),
        ((ClockError, BadUsage), lambda j, e: fail(j, EXIT_USAGE, "usage", [str(e)])),
        ((DatabaseError,), lambda j, e: fail(j, EXIT_UNUSABLE, "unusable", [str(e)])),
        ((SettingsError,), lambda j, e: fail(j, EXIT_UNUSABLE, "settings", e.problems)),
        ((StoreUnavailable,), lambda j, e: fail(j, EXIT_UNUSABLE, "store", [f"{e}；未作任何更改，请稍后再试"])),
        ((MissingObject,), lambda j, e: fail(j, EXIT_UNUSABLE, "store", [MissingObject.said])),
        ((SQLAlchemyError,), _database_error),
    ]


@contextmanager
def guarded(as_json: bool) -> Iterator[None]:
    """Turn the domain's and the database's errors into clear messages and exit codes."""
    try:
        yield
    except typer.Exit:
        raise
    except Exception as err:
        for kinds, answer in _errors():
            if isinstance(err, kinds):
                answer(as_json, err)
        raise
