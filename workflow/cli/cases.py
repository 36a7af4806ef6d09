"""Cases: `import`, `list`, `show`, and one command per event, registered from a table."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from states.refusals import Refusal, Refused
from states.status import Status
from states.values import Event
from workflow.cli.common import (
    CaseId,
    JsonOut,
    Limit,
    Reason,
    beijing,
    emit,
    guarded,
    runtime,
    table,
    who,
)


def import_(
    file: Annotated[Path, typer.Argument(help="JSON (one application object, or a list), or the import workbook"
                                              " (.xlsx, from `chuding template`).")],
    campaign: Annotated[str | None, typer.Option(help="Campaign code for records that name none.")] = None,
    files: Annotated[Path | None, typer.Option(
        help="A folder or a .zip holding the files the records name (diplomas, scans…): each is checked"
             " like an upload and becomes the case's file; a missing or bad one refuses the import.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Import applications as drafted cases: the whole file, or nothing."""
    from workflow.cli.progress import progress_bar
    from workflow.inputs.attached import Attached, AttachedProblem
    from workflow.usecases.importer import Files, import_file

    with guarded(as_json), progress_bar("importing", quiet=as_json) as advance:
        try:
            data = file.read_bytes()
            attached = Files(Attached.open(files), runtime().materials) if files is not None else None
        except OSError as err:
            raise Refused([Refusal("import.file", f"cannot read {file}: {err}", "file")]) from None
        except AttachedProblem as err:
            raise Refused([Refusal("import.files", str(err), "files")]) from None
        try:
            result = import_file(runtime().engine(), data, str(file), who(), runtime().clock.now(), campaign,
                                 advance, attached)
        finally:
            if attached is not None:
                attached.attached.close()
        emit(as_json, {"ok": True, "created": result.created, "amended": result.amended},
             lambda: typer.echo(f"imported {len(result.created)} new case(s) {result.created}, "
                                f"replaced {len(result.amended)} {result.amended}"))


def template(
    file: Annotated[Path, typer.Argument(help="Where to write the empty import workbook (.xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    as_json: JsonOut = False,
) -> None:
    """Write the import workbook: a header per field in Chinese, drop-down lists, and a
    sheet explaining each column (for the newest campaign's notice)."""
    from workflow.usecases.importer import import_template

    with guarded(as_json):
        import_template(runtime().engine(), who(), file, replace=force)
        emit(as_json, {"ok": True, "file": str(file)}, lambda: typer.echo(f"wrote {file}"))


def list_(
    state: Annotated[Status | None, typer.Option(help="Only cases in this state.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only cases of this unit code.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only cases of this campaign code.")] = None,
    limit: Limit = 500,
    as_json: JsonOut = False,
) -> None:
    """List the cases you may see (a unit operator, their unit's), by state, unit and campaign."""
    from workflow.reads.cases import cases_for

    with guarded(as_json):
        rows = cases_for(runtime().engine(), who(), state.value if state else None, campaign, limit, unit)
        emit(as_json, rows, lambda: table(
            f"{len(rows)} case(s)", ["case", "campaign", "name", "ID number", "unit", "state", "updated (Beijing)"],
            [[r["case"], r["campaign"], r["name"], r["id_number"], r["unit"],
              f"{r['state']} {r['state_label']}", beijing(r["updated_at"])] for r in rows],
        ))


def show(case: CaseId, as_json: JsonOut = False) -> None:
    """A case: its state, what is missing, what may happen next and until when, its history."""
    from workflow.reads.cases import case_for

    with guarded(as_json):
        report = case_for(runtime().engine(), who(), case, runtime().clock.now())
        emit(as_json, report, lambda: _print_report(report))


def _print_report(r: dict[str, Any]) -> None:
    typer.echo(f"case {r['case']} · {r['campaign']} · {r['name']} {r['id_number']} · unit {r['unit']}")
    typer.echo(f"state: {r['state']} {r['state_label']} (version {r['version']})")
    if r["publicity"]:
        p = r["publicity"]
        typer.echo(f"publicity: started {beijing(p['started_at'])}, complete at {beijing(p['completes_at'])},"
                   f" closed {beijing(p['closed_at']) or '—'}, open objections {p['open_objections']}")
    if r["missing"]:
        typer.echo("missing or not met:")
        for m in r["missing"]:
            typer.echo(f"  - {m['message']}" + (f" [{m['field']}]" if m["field"] else ""))
    table("next", ["event", "by", "until (Beijing)"],
          [[n["event"], ", ".join(n["roles"]), beijing(n["until"])] for n in r["next"]]
          + [[event, ", ".join(r["also_roles"][event]), "—"] for event in r["also"]])
    table("history", ["when (Beijing)", "event", "from", "to", "operator", "role", "reason"],
          [[beijing(h["effective_at"]), h["event"], h["from_state"], h["to_state"], h["actor"], h["role"], h["reason"]]
           for h in r["history"]])


# ---- events -------------------------------------------------------------------------

@dataclass(frozen=True)
class Said:
    """An option an event command takes, and how its value reaches the event."""

    annotation: Any
    default: Any = inspect.Parameter.empty
    to_event: Callable[[Any], Any] = lambda value: value


REASON = Said(Reason)
REASONS = Said(Annotated[list[str], typer.Option("--reason", "-r", help="What to correct (repeatable).")],
               to_event=lambda given: "；".join(r.strip() for r in given if r.strip()))
OPINION = Said(Annotated[str, typer.Option(help="The unit's opinion, exactly the notice's text.")])
UPHELD = Said(Annotated[bool, typer.Option("--upheld/--dismissed", help="The objection's outcome.")])
ITEMS = Said(Annotated[list[str], typer.Option("--item", "-i", help="A checklist item code received (repeatable).")],
             to_event=frozenset)

SLOTS = Said(Annotated[list[str], typer.Option(
    "--slot", "-s", help="A material slot at fault and why, as SLOT=REASON (e.g. chsi_record-1=须为近三个月内下载;"
                         " repeatable; `chuding materials list CASE` names the slots).")], [],
    to_event=lambda given: tuple((key.strip(), why.strip()) for key, _, why in (s.partition("=") for s in given)))
FORM_CODE = Said(Annotated[str, typer.Option("--form-code", help="The verification code printed on the 评审表"
                                                                  " (`chuding docs review-form`).")], "")

GROUPS = {"publicity": "The unit's publicity (公示) of a case."}

# What each thing an event takes (``states.process``) is on the command line; two events
# take theirs their own way.
SAID = {"reason": REASON, "opinion": OPINION, "upheld": UPHELD, "items": ITEMS, "form_code": FORM_CODE,
        "slots": SLOTS}
OWN_WAY = {Event.RETURN_FOR_CORRECTION: {"reason": REASONS}, Event.WITHDRAW: {"reason": Said(Reason, "")}}

# One row per event command: its name, its group (None: top level), the event, its help.
EVENT_COMMANDS: list[tuple[str, str | None, Event, str]] = [
    ("submit", None, Event.SUBMIT, "Submit an application (clerk for the applicant): window, eligibility, materials."),
    ("start-review", None, Event.START_REVIEW, "Take a submitted case into online review (county reviewer)."),
    ("return", None, Event.RETURN_FOR_CORRECTION,
     "Return a case to the applicant for correction, with the reasons (county reviewer)."),
    ("approve", None, Event.APPROVE_ONLINE,
     "Pass the online review: the case goes to its unit's publicity (county reviewer)."),
    ("receive-paper", None, Event.RECEIVE_PAPER, "Receive the paper file with every checklist item (county clerk)."),
    ("confirm", None, Event.CONFIRM, "Confirm the qualification (county approver)."),
    ("reject", None, Event.REJECT, "Reject a case that has not ended, with a reason"
     " (county reviewer or approver; unit on an upheld objection)."),
    ("withdraw", None, Event.WITHDRAW, "Withdraw an application at the applicant's request (clerk for the applicant)."),
    ("fraud", None, Event.REPORT_FRAUD,
     "Record proven fraud: reject (or revoke if confirmed) and ban the person (county approver)."),
    ("start", "publicity", Event.START_PUBLICITY,
     "Start the publicity now; it completes at 24:00 of its last working day (unit)."),
    ("objection", "publicity", Event.RECORD_OBJECTION, "Record an objection raised during the publicity (unit)."),
    ("resolve", "publicity", Event.RESOLVE_OBJECTION,
     "Resolve the oldest open objection: upheld (then reject) or dismissed (unit)."),
    ("close", "publicity", Event.CLOSE_PUBLICITY,
     "Close a completed publicity with no open objection, with the unit's opinion (unit)."),
]


def options_of(event: Event) -> dict[str, Said]:
    """The options of ``event``'s command: what the process table says it takes."""
    from states.process import PROCESS

    return {name: OWN_WAY.get(event, {}).get(name, SAID[name]) for name in PROCESS[event].takes}


def _detail(value: Any) -> str:
    """A pair of years is a range, as people write it: 2024–2026."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}–{value[1]}"
    return str(value)


def run(case: int, event: Event, as_json: bool, **said: Any) -> None:
    """Every event command: the use case, then its outcome in text or JSON."""
    from workflow.usecases.events import run_event

    with guarded(as_json):
        done = run_event(runtime().engine(), case, event, who(), runtime().clock.now(), **said)
        data = {"ok": True, "case": done.case_id, "event": done.event.value, "from": done.from_state.value,
                "to": done.to_state.value, "effective_at": done.effective_at, **done.details}
        emit(as_json, data, lambda: typer.echo(
            f"case {done.case_id}: {done.event} {done.from_state} → {done.to_state}"
            + "".join(f"; {k}: {_detail(v)}" for k, v in done.details.items())
        ))


def event_command(event: Event, options: dict[str, Said], help_: str) -> Callable[..., None]:
    """A typer command for ``event``: the case, the options it takes, --json."""
    def command(case: int, as_json: bool = False, **given: Any) -> None:
        run(case, event, as_json, **{name: said.to_event(given[name]) for name, said in options.items()})

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [inspect.Parameter("case", keyword, annotation=CaseId)]
    parameters += [inspect.Parameter(name, keyword, annotation=s.annotation, default=s.default)
                   for name, s in options.items()]
    parameters.append(inspect.Parameter("as_json", keyword, annotation=JsonOut, default=False))
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__doc__ = help_
    return command


export_app = typer.Typer(no_args_is_help=True, help="Spreadsheets of what chuding holds.")


@export_app.command("cases")
def export_cases_command(
    file: Annotated[Path, typer.Argument(help="Where to write the workbook (.xlsx).")],
    state: Annotated[Status | None, typer.Option(help="Only cases in this state.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only cases of this unit code.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only cases of this campaign code.")] = None,
    full_ids: Annotated[bool, typer.Option("--full-ids", help="Full ID numbers (administrators; recorded).")] = False,
    as_json: JsonOut = False,
) -> None:
    """The case list (the same filters as `list`) as an Excel workbook, oldest first;
    ID numbers masked unless an administrator asks for them in full."""
    from workflow.cli.progress import progress_bar
    from workflow.reads.export import export_cases

    with guarded(as_json), progress_bar("exporting", quiet=as_json) as advance:
        count = export_cases(runtime().engine(), who(), file,
                             state.value if state else None, unit, campaign, full_ids, advance)
        emit(as_json, {"ok": True, "file": str(file), "cases": count},
             lambda: typer.echo(f"wrote {count} case(s) to {file}"))


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command()(template)
    app.add_typer(export_app, name="export")
    app.command("list")(list_)
    app.command()(show)
    groups: dict[str, typer.Typer] = {}
    for name, group, event, help_ in EVENT_COMMANDS:
        if group and group not in groups:
            groups[group] = typer.Typer(no_args_is_help=True, help=GROUPS[group])
            app.add_typer(groups[group], name=group)
        (groups[group] if group else app).command(name)(event_command(event, options_of(event), help_))
