"""The campaign as a whole: `status`, `serve`, `diagram`, `simulate`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from states.refusals import Refusal, Refused
from workflow.cli.common import (
    EXIT_UNUSABLE,
    JsonOut,
    beijing,
    emit,
    fail,
    guarded,
    runtime,
    table,
    who,
)


def status(as_json: JsonOut = False) -> None:
    """Cases per state (a unit operator, their unit's), the next deadlines and reminders, bans,
    and the running services."""
    from workflow.reads.status import status_for

    with guarded(as_json):
        rt = runtime()
        report = status_for(rt.engine(), who(), rt.clock.now(), rt.wall.now())
        emit(as_json, report, lambda: _print_status(report))


def _print_status(r: dict[str, Any]) -> None:
    table("cases per state", ["campaign", "state", "cases"],
          [[c["campaign"], f"{c['state']} {c['state_label']}", c["cases"]] for c in r["cases"]])
    table("next (Beijing time)", ["when", "what", "campaign"],
          [[beijing(m["at"]), m["what"], m["campaign"]] for m in r["next"]])
    table("bans in force", ["ban", "ID number", "years", "ends (Beijing)"],
          [[b["ban"], b["id_number"], f"{b['first_year']}–{b['last_year']}", beijing(b["ends_at"])]
           for b in r["bans"]])
    if r["undelivered"]:
        table("important SMS not delivered (reach these people another way)", ["message", "case", "kind", "to", "why"],
              [[u["id"], u["case_id"], u["kind"], u["recipient"], u["delivery_detail"]] for u in r["undelivered"]])
    if not r["services"]:
        typer.echo("no service is running (start one with `chuding serve`)")
    for s in r["services"]:
        typer.echo(f"service {s['id']}: {'leading' if s['leading'] else 'standing by'},"
                   f" last heartbeat {beijing(s['heartbeat_at'])},"
                   f" last successful sweep {beijing(s['last_sweep_at']) or 'none yet'}")
        if s["last_error"]:
            typer.echo(f"  last sweep error at {beijing(s['last_error_at'])}: {s['last_error']}")


def serve(
    sweep_seconds: Annotated[float, typer.Option(help="Seconds between catch-up sweeps.")] = 60,
    relay_seconds: Annotated[float, typer.Option(help="Seconds between relay passes.")] = 5,
    lead_seconds: Annotated[float, typer.Option(help="Seconds between heartbeats / tries to lead.")] = 2,
    http: Annotated[str, typer.Option(help="Serve the web pages at HOST:PORT.")] = "127.0.0.1:8000",
    no_http: Annotated[bool, typer.Option("--no-http", help="Run only the schedule, no web pages.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Log one JSON object per line.")] = False,
) -> None:
    """Run the background service — deadlines, reminders, ban ends and messages — and the
    web pages, until stopped."""
    import logging

    from workflow.cli.signals import STOP_ASKED, listen_for_stop

    # Again (the command line's start did it already when it saw `serve`), so that a stop
    # asked for during start-up is a clean stop too, however serve was called.
    listen_for_stop()
    stop = STOP_ASKED

    from workflow.runtime.daemon import Service, ServiceUnusable

    _logging(as_json)
    with guarded(as_json):
        for option, value, low, high in (("--sweep-seconds", sweep_seconds, 1, 86_400),
                                         ("--relay-seconds", relay_seconds, 0.1, 3_600),
                                         ("--lead-seconds", lead_seconds, 0.1, 60)):
            bounded(option, value, low, high)
        service = Service(runtime(), sweep_seconds, relay_seconds, lead_seconds)
        web = None if no_http else _web(http)
        try:
            finished = service.run(stop)
        except ServiceUnusable as err:
            fail(as_json, EXIT_UNUSABLE, "unusable", [str(err)])
        finally:
            if web is not None:
                web.stop()
    if not finished:
        # A job cut short still holds a worker thread the interpreter would wait for;
        # its transaction is rolled back as the process ends.
        logging.shutdown()
        os._exit(0)


def bounded(option: str, value: float, low: float, high: float) -> None:
    """An interval a schedule can keep: a finite number of seconds within bounds (a
    negative one spins, infinity overflows the scheduler, nan compares with nothing)."""
    import math

    from workflow.errors import BadUsage

    if not math.isfinite(value) or not low <= value <= high:
        raise BadUsage(f"{option} {value}: must be a number of seconds from {low:g} to {high:g}")


def check(as_json: JsonOut = False) -> None:
    """Check the database file for damage (SQLite's integrity_check; on PostgreSQL, that
    every table reads through). Exit 4 when something is found."""
    from workflow.store.db import integrity_problems

    with guarded(as_json):
        problems = integrity_problems(runtime().engine())
        if problems:
            fail(as_json, EXIT_UNUSABLE, "damaged", problems[:50])
        emit(as_json, {"ok": True}, lambda: typer.echo("the database is whole: no damage found"))


def _logging(as_json: bool) -> None:
    import logging

    from workflow.runtime.daemon import JsonLogFormatter

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if as_json:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLogFormatter())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our jobs log their own outcome
    logging.getLogger("transitions").setLevel(logging.WARNING)  # every state callback, else: noise
    logging.getLogger("chuding.service").info("starting")


def _web(address: str) -> Any:
    from workflow.web.server import WebServer

    runtime().materials  # noqa: B018 - the pages keep files: where, settled before they open
    web = WebServer(runtime(), address)
    web.start()
    return web


def diagram(as_json: JsonOut = False) -> None:
    """The process as Mermaid text, generated from the state machine itself."""
    from workflow.diagram import mermaid

    text = mermaid()
    emit(as_json, {"mermaid": text}, lambda: typer.echo(text))


def simulate(
    scenario: Annotated[Path | None,
                        typer.Option(help="A scenario JSON file (see README); default: the sample.")] = None,
    notice: Annotated[Path | None,
                      typer.Option(help="The notice config to simulate (default: the 2024 notice).")] = None,
    keep: Annotated[Path | None, typer.Option(help="Keep the simulated database in this SQLite file.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Replay a whole campaign on a simulated clock and print its timeline."""
    import tempfile

    from workflow.runtime.bootstrap import bootstrap
    from workflow.scenario import SAMPLE_NOTICE, read_scenario
    from workflow.simulate import run
    from workflow.store.db import upgrade

    notice = notice or SAMPLE_NOTICE
    with guarded(as_json), tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "simulation.sqlite3"
        if path.exists():
            raise Refused([Refusal("simulate.exists", f"{path} exists; name a new file", "keep")])
        # Everything is checked before the database file is made.
        plan = read_scenario(scenario) if scenario is not None else _sample(notice)
        simulated = bootstrap(runtime().settings.model_copy(update={"database_url": str(path), "materials_url": None}))
        engine = simulated.engine(require=False, create=True)
        try:
            upgrade(engine)
            timeline = run(engine, notice, plan, store=simulated.materials)
        except BaseException:
            engine.dispose()
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)  # a failed simulation leaves no --keep file behind
            raise
        engine.dispose()
        data = {"timeline": timeline.lines, "refused": timeline.refusals, "final": dict(timeline.final)}
        emit(as_json, data, lambda: typer.echo("\n".join(timeline.lines) + "\n\nfinal states: "
                                                 + ", ".join(f"{k} {v}" for k, v in sorted(timeline.final.items()))))


def _sample(notice_path: Path) -> dict[str, Any]:
    from workflow.inputs.notices import parse_notice_text, read_notice_text
    from workflow.scenario import SAMPLE_APPLICATIONS
    from workflow.simulate import sample_scenario

    notice = parse_notice_text(read_notice_text(notice_path), str(notice_path))
    template = json.loads(SAMPLE_APPLICATIONS.read_text(encoding="utf-8"))[0]
    return sample_scenario(template, notice.commitment_text, notice.unit_opinion_text,
                           [i.code for i in notice.paper_checklist(template["series"])])


def register(app: typer.Typer) -> None:
    for command in (status, serve, check, diagram, simulate):
        app.command()(command)
