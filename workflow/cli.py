"""The ``chuding`` admin command.

Exit codes: 0 done; 1 refused (every reason printed); 2 bad usage; 3 conflict with a
concurrent command; 4 database or notice config unusable. Heavy modules are imported
inside the commands that need them, so a quick command starts quickly.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from notifications.statuses import OutboxStatus
from states.machine import Event, Role
from states.refusals import Refusal, Refused
from states.status import Status

if TYPE_CHECKING:
    import sqlalchemy as sa

    from states.machine import Actor

EXIT_REFUSED, EXIT_USAGE, EXIT_CONFLICT, EXIT_UNUSABLE = 1, 2, 3, 4

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False)
operator_app = typer.Typer(no_args_is_help=True, help="Register and list operators.")
publicity_app = typer.Typer(no_args_is_help=True, help="The unit's publicity (公示) of a case.")
bans_app = typer.Typer(no_args_is_help=True, help="Fraud bans (by ID number, across campaigns).")
unit_app = typer.Typer(no_args_is_help=True, help="Recommending units.")
outbox_app = typer.Typer(no_args_is_help=True, help="Messages waiting, sent and dead.")
app.add_typer(operator_app, name="operator")
app.add_typer(publicity_app, name="publicity")
app.add_typer(bans_app, name="bans")
app.add_typer(unit_app, name="unit")
app.add_typer(outbox_app, name="outbox")

JsonOut = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
# Numbers a database key can hold: larger ones, and negative ones, are bad usage (exit 2).
MAX_ID = 2**31 - 1
CaseId = Annotated[int, typer.Argument(help="The case number.", min=1, max=MAX_ID)]
RowId = Annotated[int, typer.Argument(min=1, max=MAX_ID)]
Limit = Annotated[int, typer.Option(help="At most this many, newest first.", min=1, max=100_000)]
Reason = Annotated[str, typer.Option("--reason", "-r", help="Why (recorded in the history).")]


class Settings:
    db: str | None = None
    operator: str | None = None


SETTINGS = Settings()


@app.callback()
def _global(
    db: Annotated[str | None, typer.Option(
        "--db", envvar="CHUDING_DATABASE_URL",
        help="SQLite file path or database URL (default: chuding.sqlite3).",
    )] = None,
    operator: Annotated[str | None, typer.Option(
        "--as", envvar="CHUDING_OPERATOR", help="The acting operator's login.",
    )] = None,
) -> None:
    """chuding: the 初定职 approval workflow. Times are shown in Beijing time."""
    SETTINGS.db, SETTINGS.operator = db, operator


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


def _emit(as_json: bool, data: Any, human: Callable[[], None]) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_value))
    else:
        human()


def _fail(as_json: bool, code: int, kind: str, lines: list[str], data: Any = None) -> None:
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


def _refusal_dicts(refusals: list[Refusal]) -> list[dict[str, Any]]:
    return [{"rule": r.rule, "field": r.field, "message": r.message} for r in refusals]


@contextmanager
def _guarded(as_json: bool) -> Iterator[None]:
    """Turn the domain's and the database's errors into clear messages and exit codes."""
    from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

    from notifications.errors import SettingsError
    from states.calendar import UnknownCalendarYear
    from states.notice import NoticeError
    from workflow.campaigns import UnknownCampaign
    from workflow.cases import CaseNotFound
    from workflow.clock import ClockError
    from workflow.db import DatabaseError
    from workflow.errors import BadUsage, Conflict, ImportRefused, without_personal_data

    try:
        yield
    except Refused as err:
        _fail(as_json, EXIT_REFUSED, "refused", [str(r) for r in err.refusals], _refusal_dicts(err.refusals))
    except ImportRefused as err:
        _fail(as_json, EXIT_REFUSED, "import", [f"{err.source}: nothing imported"] + [str(p) for p in err.problems],
              [p.__dict__ for p in err.problems])
    except (CaseNotFound, UnknownCampaign, UnknownCalendarYear) as err:
        _fail(as_json, EXIT_REFUSED, "refused", [str(err)])
    except Conflict as err:
        _fail(as_json, EXIT_CONFLICT, "conflict", [str(err)])
    except NoticeError as err:
        _fail(as_json, EXIT_UNUSABLE, "notice", [f"{err.source}: {p}" for p in err.problems])
    except (ClockError, BadUsage) as err:
        _fail(as_json, EXIT_USAGE, "usage", [str(err)])
    except DatabaseError as err:
        _fail(as_json, EXIT_UNUSABLE, "unusable", [str(err)])
    except SettingsError as err:
        _fail(as_json, EXIT_UNUSABLE, "settings", err.problems)
    except IntegrityError as err:
        # Two commands wrote the same thing at once; the database kept one. Its own text
        # would name the values (an ID number among them): say what happened instead.
        _fail(as_json, EXIT_CONFLICT, "conflict", [
            "another command wrote the same record at the same moment; nothing was changed"
            f" — look again and retry ({without_personal_data(err).partition(chr(10))[0]})"])
    except OperationalError as err:
        if _busy(err):
            _fail(as_json, EXIT_CONFLICT, "busy", [
                "the database is busy with another command beyond the wait allowed; nothing was changed"
                " — try again"])
        _fail(as_json, EXIT_UNUSABLE, "database", [without_personal_data(err)])
    except SQLAlchemyError as err:
        _fail(as_json, EXIT_UNUSABLE, "database", [without_personal_data(err)])


def _busy(err: Exception) -> bool:
    text = str(getattr(err, "orig", err)).lower()
    return "database is locked" in text or "database is busy" in text or "lock timeout" in text


def _engine(require: bool = True, create: bool = False) -> sa.Engine:
    from workflow.db import database_url, make_engine, require_schema

    engine = make_engine(database_url(SETTINGS.db), create=create)
    if require:
        require_schema(engine)
    return engine


def _actor(engine: sa.Engine) -> Actor:
    from workflow.operators import identify

    with engine.connect() as conn:
        return identify(conn, SETTINGS.operator)


def _now() -> Any:
    from workflow.clock import clock_from_env

    return clock_from_env().now()


def _beijing(instant: Any) -> str:
    """Staff's tables name times to the second."""
    from states.clock import beijing_text

    return beijing_text(instant)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title))
    for column in columns:
        table.add_column(column)
    for row in rows:
        # Data is shown as it is: a name like "[/]" or "[link=…]" is text, not markup.
        table.add_row(*("" if v is None else escape(str(v)) for v in row))
    Console(highlight=False).print(table)


# ---- set-up -------------------------------------------------------------------------

@app.command()
def init(
    notice: Annotated[list[Path] | None, typer.Option("--notice", help="A notice config file to load (repeatable).")] = None,
    admin: Annotated[str | None, typer.Option(help="Register this login as the first administrator.")] = None,
    admin_name: Annotated[str, typer.Option(help="The administrator's name.")] = "管理员",
    force: Annotated[bool, typer.Option(help="Replace the notice of a campaign that already has cases.")] = False,
    reason: Annotated[str, typer.Option(help="Why, with --force (kept in the audit).")] = "",
    as_json: JsonOut = False,
) -> None:
    """Create or upgrade the database, load notices, register the first administrator."""
    from workflow.campaigns import load_notices
    from workflow.db import hold_setup_lock, upgrade
    from workflow.operators import add_operator, has_operators

    with _guarded(as_json):
        engine = _engine(require=False, create=True)
        upgrade(engine)
        with engine.begin() as conn:
            hold_setup_lock(conn)
            loaded = load_notices(conn, notice or [], SETTINGS.operator, force, reason)
            existing_admin = bool(admin) and _is_administrator(conn, admin or "")
            if admin and not existing_admin:
                if has_operators(conn):
                    raise Refused([Refusal("operator.bootstrap", "已有操作员；请由管理员用 operator add 登记", "admin")])
                add_operator(conn, admin, admin_name, Role.ADMINISTRATOR.value, None)
        url = engine.url.render_as_string(hide_password=True)
        lines = [f"database ready: {url}"] + [f"notice {n['campaign']}: {n['change']} ({n['file']})" for n in loaded]
        if admin:
            lines.append(f"administrator {admin} already registered; nothing changed" if existing_admin
                         else f"administrator registered: {admin}")
        _emit(as_json, {"ok": True, "database": url, "notices": loaded, "admin": admin,
                        "admin_created": bool(admin) and not existing_admin},
              lambda: typer.echo("\n".join(lines)))


def _is_administrator(conn: sa.Connection, login: str) -> bool:
    """`init --admin` again with the same administrator is no change (the run command repeats it)."""
    from workflow.operators import identify

    try:
        return identify(conn, login).role is Role.ADMINISTRATOR
    except Refused:
        return False


@operator_app.command("add")
def operator_add(
    login: str,
    role: Annotated[str, typer.Option(help=", ".join(r.value for r in Role if r is not Role.SERVICE))],
    name: Annotated[str, typer.Option(help="The person's name.")] = "",
    unit: Annotated[str | None, typer.Option(help="Unit code (unit operators only).")] = None,
    email: Annotated[str | None, typer.Option(help="For reminders (reviewers are warned of expiring cases).")] = None,
    phone: Annotated[str | None, typer.Option(help="Mobile number for SMS reminders.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Register an operator (administrators only)."""
    from workflow.operators import add_operator, identify, require_role

    with _guarded(as_json):
        engine = _engine()
        with engine.begin() as conn:
            require_role(identify(conn, SETTINGS.operator), Role.ADMINISTRATOR)
            add_operator(conn, login, name or login, role, unit, email, phone)
        _emit(as_json, {"ok": True, "login": login, "role": role, "unit": unit},
              lambda: typer.echo(f"operator {login} registered as {role}"))


@operator_app.command("disable")
def operator_disable(login: str, as_json: JsonOut = False) -> None:
    """Stop an operator from acting (administrators only); history keeps the login."""
    from workflow.operators import identify, require_role, set_active

    with _guarded(as_json):
        engine = _engine()
        with engine.begin() as conn:
            require_role(identify(conn, SETTINGS.operator), Role.ADMINISTRATOR)
            set_active(conn, login, False)
        _emit(as_json, {"ok": True, "login": login, "active": False},
              lambda: typer.echo(f"operator {login} disabled"))


@operator_app.command("list")
def operator_list(as_json: JsonOut = False) -> None:
    """List the registered operators."""
    from workflow.operators import list_operators

    with _guarded(as_json):
        with _engine().connect() as conn:
            rows = list_operators(conn)
        _emit(as_json, rows, lambda: _table(
            "operators", ["login", "name", "role", "unit", "active"], [list(r.values()) for r in rows]
        ))


@unit_app.command("add")
def unit_add(
    code: str,
    name: Annotated[str, typer.Option(help="The unit's full name.")],
    level: Annotated[str, typer.Option(help="县级, 乡镇级, 村级, ... (the notice's known_unit_levels).")],
    type_: Annotated[str, typer.Option("--type", help="事业单位, 企业, 中小学, 机关, ...")],
    email: Annotated[str | None, typer.Option(help="Told when a publicity completes.")] = None,
    phone: Annotated[str | None, typer.Option(help="Mobile number for the same.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Register a recommending unit (administrators only)."""
    from workflow.operators import identify, require_role
    from workflow.units import add_unit

    with _guarded(as_json):
        with _engine().begin() as conn:
            require_role(identify(conn, SETTINGS.operator), Role.ADMINISTRATOR)
            add_unit(conn, code, name, level, type_, email, phone)
        _emit(as_json, {"ok": True, "unit": code}, lambda: typer.echo(f"unit {code} registered"))


@unit_app.command("list")
def unit_list(as_json: JsonOut = False) -> None:
    """List the registered units."""
    from workflow.units import list_units

    with _guarded(as_json):
        with _engine().connect() as conn:
            rows = list_units(conn)
        _emit(as_json, rows, lambda: _table("units", ["code", "name", "level", "type"], [list(r.values()) for r in rows]))


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="JSON: one application object, or a list of them.")],
    campaign: Annotated[str | None, typer.Option(help="Campaign code for records that name none.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Import applications as drafted cases: the whole file, or nothing."""
    from workflow.importer import import_applications
    from workflow.operators import require_role

    with _guarded(as_json):
        engine = _engine()
        actor = _actor(engine)
        require_role(actor, Role.APPLICANT_CLERK, Role.ADMINISTRATOR)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise Refused([Refusal("import.file", f"cannot read {file}: {err}", "file")]) from None
        result = import_applications(engine, text, str(file), actor, _now(), campaign)
        _emit(as_json, {"ok": True, "created": result.created, "amended": result.amended},
              lambda: typer.echo(f"imported {len(result.created)} new case(s) {result.created}, "
                                 f"replaced {len(result.amended)} {result.amended}"))


# ---- reading ------------------------------------------------------------------------

@app.command("list")
def list_(
    state: Annotated[Status | None, typer.Option(help="Only cases in this state.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only cases of this unit code.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only cases of this campaign code.")] = None,
    limit: Limit = 500,
    as_json: JsonOut = False,
) -> None:
    """List cases, filtered by state, unit and campaign."""
    from workflow.views import list_cases

    with _guarded(as_json):
        with _engine().connect() as conn:
            rows = list_cases(conn, state.value if state else None, unit, campaign, limit)
        _emit(as_json, rows, lambda: _table(
            f"{len(rows)} case(s)", ["case", "campaign", "name", "ID number", "unit", "state", "updated (Beijing)"],
            [[r["case"], r["campaign"], r["name"], r["id_number"], r["unit"],
              f"{r['state']} {r['state_label']}", _beijing(r["updated_at"])] for r in rows],
        ))


@app.command()
def show(case: CaseId, as_json: JsonOut = False) -> None:
    """A case: its state, what is missing, what may happen next and until when, its history."""
    from workflow.views import case_report

    with _guarded(as_json):
        with _engine().connect() as conn:
            report = case_report(conn, case, _now())
        _emit(as_json, report, lambda: _print_report(report))


def _print_report(r: dict[str, Any]) -> None:
    typer.echo(f"case {r['case']} · {r['campaign']} · {r['name']} {r['id_number']} · unit {r['unit']}")
    typer.echo(f"state: {r['state']} {r['state_label']} (version {r['version']})")
    if r["publicity"]:
        p = r["publicity"]
        typer.echo(f"publicity: started {_beijing(p['started_at'])}, complete at {_beijing(p['completes_at'])},"
                   f" closed {_beijing(p['closed_at']) or '—'}, open objections {p['open_objections']}")
    if r["missing"]:
        typer.echo("missing or not met:")
        for m in r["missing"]:
            typer.echo(f"  - {m['message']}" + (f" [{m['field']}]" if m["field"] else ""))
    _table("next", ["event", "by", "until (Beijing)"],
           [[n["event"], ", ".join(n["roles"]), _beijing(n["until"])] for n in r["next"]]
           + [[event, ", ".join(r["also_roles"][event]), "—"] for event in r["also"]])
    _table("history", ["when (Beijing)", "event", "from", "to", "operator", "role", "reason"],
           [[_beijing(h["effective_at"]), h["event"], h["from_state"], h["to_state"], h["actor"], h["role"], h["reason"]]
            for h in r["history"]])


@app.command()
def status(as_json: JsonOut = False) -> None:
    """Cases per state, the next deadlines and reminders, bans, and the running services."""
    from workflow.views import service_status

    with _guarded(as_json):
        report = service_status(_engine(), _now())
        _emit(as_json, report, lambda: _print_status(report))


def _print_status(r: dict[str, Any]) -> None:
    _table("cases per state", ["campaign", "state", "cases"],
           [[c["campaign"], f"{c['state']} {c['state_label']}", c["cases"]] for c in r["cases"]])
    _table("next (Beijing time)", ["when", "what", "campaign"],
           [[_beijing(m["at"]), m["what"], m["campaign"]] for m in r["next"]])
    _table("bans in force", ["ban", "ID number", "years", "ends (Beijing)"],
           [[b["ban"], b["id_number"], f"{b['first_year']}–{b['last_year']}", _beijing(b["ends_at"])]
            for b in r["bans"]])
    if not r["services"]:
        typer.echo("no service is running (start one with `chuding serve`)")
    for s in r["services"]:
        typer.echo(f"service {s['id']}: {'leading' if s['leading'] else 'standing by'},"
                   f" last heartbeat {_beijing(s['heartbeat_at'])},"
                   f" last successful sweep {_beijing(s['last_sweep_at']) or 'none yet'}")
        if s["last_error"]:
            typer.echo(f"  last sweep error at {_beijing(s['last_error_at'])}: {s['last_error']}")


@app.command()
def serve(
    sweep_seconds: Annotated[float, typer.Option(help="Seconds between catch-up sweeps.")] = 60,
    relay_seconds: Annotated[float, typer.Option(help="Seconds between relay passes.")] = 5,
    lead_seconds: Annotated[float, typer.Option(help="Seconds between heartbeats / tries to lead.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Log one JSON object per line.")] = False,
) -> None:
    """Run the background service: deadlines, reminders, ban ends and messages, until stopped."""
    import logging
    import signal
    import threading

    # First of all, so that a stop asked for during start-up is a clean stop too.
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    from workflow.clock import clock_from_env
    from workflow.service import JsonLogFormatter, Service, ServiceUnusable

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if as_json:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLogFormatter())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our jobs log their own outcome
    logging.getLogger("chuding.service").info("starting")
    with _guarded(as_json):
        service = Service(_engine(require=False), clock_from_env(), _notification_settings(),
                          sweep_seconds, relay_seconds, lead_seconds)
        try:
            finished = service.run(stop)
        except ServiceUnusable as err:
            _fail(as_json, EXIT_UNUSABLE, "unusable", [str(err)])
    if not finished:
        # A job cut short still holds a worker thread the interpreter would wait for;
        # its transaction is rolled back as the process ends.
        logging.shutdown()
        os._exit(0)


@app.command()
def diagram(as_json: JsonOut = False) -> None:
    """The process as Mermaid text, generated from the state machine itself."""
    from workflow.diagram import mermaid

    text = mermaid()
    _emit(as_json, {"mermaid": text}, lambda: typer.echo(text))


@app.command()
def simulate(
    scenario: Annotated[Path | None, typer.Option(help="A scenario JSON file (see README); default: the sample.")] = None,
    notice: Annotated[Path | None, typer.Option(help="The notice config to simulate (default: the 2024 notice).")] = None,
    keep: Annotated[Path | None, typer.Option(help="Keep the simulated database in this SQLite file.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Replay a whole campaign on a simulated clock and print its timeline."""
    import tempfile

    from workflow.db import make_engine, upgrade
    from workflow.scenario import SAMPLE_NOTICE, read_scenario
    from workflow.simulate import run

    notice = notice or SAMPLE_NOTICE
    with _guarded(as_json), tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "simulation.sqlite3"
        if path.exists():
            raise Refused([Refusal("simulate.exists", f"{path} exists; name a new file", "keep")])
        # Everything is checked before the database file is made.
        plan = read_scenario(scenario) if scenario is not None else _sample(notice)
        engine = make_engine(f"sqlite:///{path}")
        try:
            upgrade(engine)
            timeline = run(engine, notice, plan)
        except BaseException:
            engine.dispose()
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)  # a failed simulation leaves no --keep file behind
            raise
        engine.dispose()
        data = {"timeline": timeline.lines, "refused": timeline.refusals, "final": dict(timeline.final)}
        _emit(as_json, data, lambda: typer.echo("\n".join(timeline.lines) + "\n\nfinal states: "
                                                  + ", ".join(f"{k} {v}" for k, v in sorted(timeline.final.items()))))


def _sample(notice_path: Path) -> dict[str, Any]:
    from workflow.notices import parse_notice_text, read_notice_text
    from workflow.scenario import SAMPLE_APPLICATIONS
    from workflow.simulate import sample_scenario

    notice = parse_notice_text(read_notice_text(notice_path), str(notice_path))
    template = json.loads(SAMPLE_APPLICATIONS.read_text(encoding="utf-8"))[0]
    return sample_scenario(template, notice.commitment_text, notice.unit_opinion_text,
                           [i.code for i in notice.paper_materials])


# ---- events -------------------------------------------------------------------------

def _detail(value: Any) -> str:
    """A pair of years is a range, as people write it: 2024–2026."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}–{value[1]}"
    return str(value)


def _run(case: int, event: Event, as_json: bool, **extra: Any) -> None:
    from states.machine import Command
    from workflow.events import run_event

    with _guarded(as_json):
        engine = _engine()
        cmd = Command(event, _actor(engine), _now(), **extra)
        done = run_event(engine, case, cmd)
        data = {"ok": True, "case": done.case_id, "event": done.event.value, "from": done.from_state.value,
                "to": done.to_state.value, "effective_at": done.effective_at, **done.details}
        _emit(as_json, data, lambda: typer.echo(
            f"case {done.case_id}: {done.event} {done.from_state} → {done.to_state}"
            + "".join(f"; {k}: {_detail(v)}" for k, v in done.details.items())
        ))


@app.command()
def submit(case: CaseId, as_json: JsonOut = False) -> None:
    """Submit an application (clerk for the applicant): window, eligibility, materials."""
    _run(case, Event.SUBMIT, as_json)


@app.command("start-review")
def start_review(case: CaseId, as_json: JsonOut = False) -> None:
    """Take a submitted case into online review (county reviewer)."""
    _run(case, Event.START_REVIEW, as_json)


@app.command("return")
def return_(
    case: CaseId,
    reason: Annotated[list[str], typer.Option("--reason", "-r", help="What to correct (repeatable).")],
    as_json: JsonOut = False,
) -> None:
    """Return a case to the applicant for correction, with the reasons (county reviewer)."""
    _run(case, Event.RETURN_FOR_CORRECTION, as_json, reason="；".join(r.strip() for r in reason if r.strip()))


@app.command()
def approve(case: CaseId, as_json: JsonOut = False) -> None:
    """Pass the online review: the case goes to its unit's publicity (county reviewer)."""
    _run(case, Event.APPROVE_ONLINE, as_json)


@publicity_app.command("start")
def publicity_start(case: CaseId, as_json: JsonOut = False) -> None:
    """Start the publicity now; it completes at 24:00 of its last working day (unit)."""
    _run(case, Event.START_PUBLICITY, as_json)


@publicity_app.command("objection")
def publicity_objection(case: CaseId, reason: Reason, as_json: JsonOut = False) -> None:
    """Record an objection raised during the publicity (unit)."""
    _run(case, Event.RECORD_OBJECTION, as_json, reason=reason)


@publicity_app.command("resolve")
def publicity_resolve(
    case: CaseId,
    reason: Reason,
    upheld: Annotated[bool, typer.Option("--upheld/--dismissed", help="The objection's outcome.")],
    as_json: JsonOut = False,
) -> None:
    """Resolve the oldest open objection: upheld (then reject) or dismissed (unit)."""
    _run(case, Event.RESOLVE_OBJECTION, as_json, reason=reason, upheld=upheld)


@publicity_app.command("close")
def publicity_close(
    case: CaseId,
    opinion: Annotated[str, typer.Option(help="The unit's opinion, exactly the notice's text.")],
    as_json: JsonOut = False,
) -> None:
    """Close a completed publicity with no open objection, with the unit's opinion (unit)."""
    _run(case, Event.CLOSE_PUBLICITY, as_json, opinion=opinion)


@app.command("receive-paper")
def receive_paper(
    case: CaseId,
    item: Annotated[list[str], typer.Option("--item", "-i", help="A checklist item code received (repeatable).")],
    as_json: JsonOut = False,
) -> None:
    """Receive the paper file with every checklist item (county clerk)."""
    _run(case, Event.RECEIVE_PAPER, as_json, items=frozenset(item))


@app.command()
def confirm(case: CaseId, as_json: JsonOut = False) -> None:
    """Confirm the qualification (county approver)."""
    _run(case, Event.CONFIRM, as_json)


@app.command()
def reject(case: CaseId, reason: Reason, as_json: JsonOut = False) -> None:
    """Reject a case that has not ended, with a reason (county reviewer or approver; unit on an upheld objection)."""
    _run(case, Event.REJECT, as_json, reason=reason)


@app.command()
def withdraw(case: CaseId, reason: Reason = "", as_json: JsonOut = False) -> None:
    """Withdraw an application at the applicant's request (clerk for the applicant)."""
    _run(case, Event.WITHDRAW, as_json, reason=reason)


@app.command()
def fraud(case: CaseId, reason: Reason, as_json: JsonOut = False) -> None:
    """Record proven fraud: reject (or revoke if confirmed) and ban the person (county approver)."""
    _run(case, Event.REPORT_FRAUD, as_json, reason=reason)


# ---- bans ---------------------------------------------------------------------------

@bans_app.command("list")
def bans_list(
    every: Annotated[bool, typer.Option("--all", help="Include lifted bans.")] = False,
    as_json: JsonOut = False,
) -> None:
    """The fraud bans, with the years banned and when each ends."""
    from workflow.views import list_bans

    with _guarded(as_json):
        with _engine().connect() as conn:
            rows = list_bans(conn, every, _now())
        _emit(as_json, rows, lambda: _table(
            "bans", ["ban", "ID number", "case", "years", "ends (Beijing)", "in force", "reason", "lifted"],
            [[r["ban"], r["id_number"], r["case"], f"{r['first_year']}–{r['last_year']}", _beijing(r["ends_at"]),
              "yes" if r["in_force"] else "no", r["reason"], _beijing(r["lifted_at"])] for r in rows],
        ))


@bans_app.command("lift")
def bans_lift(ban: RowId, reason: Reason, as_json: JsonOut = False) -> None:
    """Lift a ban recorded in error (administrators only); the record stays."""
    from workflow.bans import lift_ban
    from workflow.operators import require_role

    with _guarded(as_json):
        engine = _engine()
        actor = _actor(engine)
        require_role(actor, Role.ADMINISTRATOR)
        lift_ban(engine, ban, actor, reason, _now())
        _emit(as_json, {"ok": True, "ban": ban}, lambda: typer.echo(f"ban {ban} lifted"))


# ---- outbox -------------------------------------------------------------------------

def _outbox_row(r: Any) -> dict[str, Any]:
    from notifications.mail import message_id

    data = {k: v for k, v in r._mapping.items() if k != "context"}
    data["message_id"] = message_id(r.key, _notification_settings().mail_from) if r.channel == "email" else None
    return data


def _notification_settings() -> Any:
    from notifications.settings import load_settings

    return load_settings()


@outbox_app.command("send")
def outbox_send(as_json: JsonOut = False) -> None:
    """Send every message that is due now, once (the service does this continuously)."""
    from workflow.clock import SystemClock
    from workflow.messages import send_outbox

    with _guarded(as_json):
        report = send_outbox(_engine(), _notification_settings(), SystemClock())
        _emit(as_json, {"ok": True, **report.__dict__}, lambda: typer.echo(str(report)))


@outbox_app.command("list")
def outbox_list(
    status_: Annotated[OutboxStatus | None, typer.Option("--status", help="Only messages in this status.")] = None,
    case: Annotated[int | None, typer.Option(help="Only this case's messages.", min=1, max=MAX_ID)] = None,
    limit: Limit = 200,
    as_json: JsonOut = False,
) -> None:
    """List messages, newest first."""
    from notifications.outbox import rows

    with _guarded(as_json):
        with _engine().connect() as conn:
            found = [_outbox_row(r) for r in rows(conn, status_.value if status_ else None, case, limit)]
        _emit(as_json, found, lambda: _table(
            f"{len(found)} message(s)", ["id", "case", "kind", "channel", "recipient", "status", "attempts", "last error"],
            [[r["id"], r["case_id"], r["kind"], r["channel"], r["recipient"], r["status"], r["attempts"],
              (r["last_error"] or "")[:60]] for r in found],
        ))


@outbox_app.command("show")
def outbox_show(message: RowId, as_json: JsonOut = False) -> None:
    """One message as it will be (or was) sent."""
    import sqlalchemy as sa

    from notifications.outbox import OUTBOX
    from notifications.rendering import Renderer
    from workflow.messages import shared_contexts

    with _guarded(as_json):
        engine = _engine()
        with engine.connect() as conn:
            row = conn.execute(sa.select(OUTBOX).where(OUTBOX.c.id == message)).first()
        if row is None:
            raise Refused([Refusal("outbox.unknown", f"message {message} does not exist", "message")])
        settings = _notification_settings()
        context = {**shared_contexts(engine)([row])[row.id], **json.loads(row.context)}
        rendered = Renderer(settings.template_dir).render(row.kind, context, settings.sms_sign_name)
        data = {**_outbox_row(row), "subject": rendered.subject, "text": rendered.text, "sms": rendered.sms}
        _emit(as_json, data, lambda: typer.echo(
            "\n".join(f"{k}: {v}" for k, v in data.items() if k not in ("text", "sms"))
            + f"\n\n{rendered.text if row.channel == 'email' else rendered.sms}"
        ))


@outbox_app.command("retry")
def outbox_retry(
    message: Annotated[list[int] | None, typer.Argument(help="Dead messages to send again (default: all dead).",
                                                        min=1, max=MAX_ID)] = None,
    as_json: JsonOut = False,
) -> None:
    """Re-queue dead messages (county clerks and administrators)."""
    from notifications.outbox import retry
    from workflow.clock import SystemClock
    from workflow.operators import require_role

    with _guarded(as_json):
        engine = _engine()
        require_role(_actor(engine), Role.COUNTY_CLERK, Role.ADMINISTRATOR)
        count = retry(engine, message or None, SystemClock().now())
        _emit(as_json, {"ok": True, "requeued": count}, lambda: typer.echo(f"{count} message(s) re-queued"))


def main() -> None:
    if not sys.stdout.isatty():
        # Piped or redirected: rich would squeeze tables to 80 columns; give them room.
        os.environ.setdefault("COLUMNS", "160")
    app()
