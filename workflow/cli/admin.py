"""Set-up and staff: `init`, `operator …`, `unit …`, `bans …`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from states.refusals import Refusal, Refused
from states.values import Role
from workflow.cli.common import (
    JsonOut,
    Reason,
    RowId,
    beijing,
    emit,
    guarded,
    read_password,
    runtime,
    table,
    who,
)

operator_app = typer.Typer(no_args_is_help=True, help="Register and list operators.")
unit_app = typer.Typer(no_args_is_help=True, help="Recommending units.")
bans_app = typer.Typer(no_args_is_help=True, help="Fraud bans (by ID number, across campaigns).")


def init(
    notice: Annotated[list[Path] | None,
                      typer.Option("--notice", help="A notice config file to load (repeatable).")] = None,
    admin: Annotated[str | None, typer.Option(help="Register this login as the first administrator.")] = None,
    first_admin: Annotated[str | None, typer.Option(
        help="Register this login as administrator only if nobody is registered yet (the run command's).")] = None,
    admin_name: Annotated[str, typer.Option(help="The administrator's name.")] = "管理员",
    force: Annotated[bool, typer.Option(help="Replace the notice of a campaign that already has cases.")] = False,
    reason: Annotated[str, typer.Option(help="Why, with --force (kept in the audit).")] = "",
    as_json: JsonOut = False,
) -> None:
    """Create or upgrade the database, load notices, register the first administrator."""
    import sys

    from workflow.usecases.setup import initialise

    with guarded(as_json):
        # At a terminal the administrator chooses a password; otherwise one is made and shown once.
        if admin and first_admin:
            raise Refused([Refusal("init.admin", "--admin 与 --first-admin 只能用一个", "admin")])
        only_first, admin = first_admin is not None, admin or first_admin
        chosen = (read_password(f"Password for {admin}") if admin and not only_first and sys.stdin.isatty()
                  else None)
        done = initialise(runtime().engine(require=False, create=True), who(), notice or [],
                          admin, admin_name, force, reason, chosen, only_first)
        lines = [f"database ready: {done['database']}"]
        lines += [f"notice {n['campaign']}: {n['change']} ({n['file']})" for n in done["notices"]]
        if admin and not only_first:
            lines.append(f"administrator registered: {admin}" if done["admin_created"]
                         else f"administrator {admin} already registered; nothing changed"
                              " (its password too: `chuding operator passwd`)")
        if done["one_time_password"]:
            lines.append(f"one-time password for {admin}: {done['one_time_password']}"
                         " (shown only now; it must be changed at first login)")
        elif only_first:
            lines.append("operators are registered already: log in with your own login and password")
        emit(as_json, done, lambda: typer.echo("\n".join(lines)))


@operator_app.command("add")
def operator_add(
    login: str,
    role: Annotated[str, typer.Option(help=", ".join(r.value for r in Role if r is not Role.SERVICE))],
    name: Annotated[str, typer.Option(help="The person's name.")] = "",
    unit: Annotated[str | None, typer.Option(help="Unit code (unit operators only).")] = None,
    email: Annotated[str | None, typer.Option(help="For reminders (reviewers are warned of expiring cases).")] = None,
    phone: Annotated[str | None, typer.Option(help="Mobile number for SMS reminders.")] = None,
    password: Annotated[bool, typer.Option(
        "--password", help="Give a first password (prompted, or the first line of standard input);"
                           " it must be changed at first login.")] = False,
    as_json: JsonOut = False,
) -> None:
    """Register an operator (administrators only)."""
    from workflow.usecases.operators import register_operator

    with guarded(as_json):
        given = read_password(f"Password for {login}") if password else None
        register_operator(runtime().engine(), who(), login, name, role, unit, email, phone, given)
        emit(as_json, {"ok": True, "login": login, "role": role, "unit": unit},
             lambda: typer.echo(f"operator {login} registered as {role}"))


@operator_app.command("passwd")
def operator_passwd(login: str, as_json: JsonOut = False) -> None:
    """Set a password: your own, or (administrators) another operator's, to be changed at
    their first login. Read from a prompt or the first line of standard input."""
    from workflow.usecases.passwords import set_password

    with guarded(as_json):
        set_password(runtime().engine(), who(), login, read_password(f"New password for {login}"))
        emit(as_json, {"ok": True, "login": login}, lambda: typer.echo(f"password of {login} set"))


@operator_app.command("disable")
def operator_disable(login: str, as_json: JsonOut = False) -> None:
    """Stop an operator from acting (administrators only); history keeps the login."""
    from workflow.usecases.operators import disable_operator

    with guarded(as_json):
        disable_operator(runtime().engine(), who(), login)
        emit(as_json, {"ok": True, "login": login, "active": False},
             lambda: typer.echo(f"operator {login} disabled"))


@operator_app.command("unlock")
def operator_unlock(
    login: Annotated[str, typer.Argument(help="The login whose failed logins paused it (\"\" with --address).")],
    address: Annotated[str | None,
                       typer.Option(help="Only at this address; alone (login \"\"), an address's pause.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Lift the pause that failed logins put on a login (administrators only); audited."""
    from workflow.usecases.passwords import unblock_login

    with guarded(as_json):
        lifted = unblock_login(runtime().engine(), who(), login, address)
        emit(as_json, {"ok": True, "login": login, "address": address, "rows": lifted},
             lambda: typer.echo(f"login limits lifted for {login or address} ({lifted} row(s))"))


@operator_app.command("list")
def operator_list(as_json: JsonOut = False) -> None:
    """List the registered operators (administrators only)."""
    from workflow.usecases.operators import operators_for

    with guarded(as_json):
        rows = operators_for(runtime().engine(), who())
        emit(as_json, rows, lambda: table(
            "operators", ["login", "name", "role", "unit", "active"], [list(r.values()) for r in rows]))


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
    from workflow.usecases.units import register_unit

    with guarded(as_json):
        register_unit(runtime().engine(), who(), code, name, level, type_, email, phone)
        emit(as_json, {"ok": True, "unit": code}, lambda: typer.echo(f"unit {code} registered"))


@unit_app.command("list")
def unit_list(as_json: JsonOut = False) -> None:
    """List the registered units (administrators only)."""
    from workflow.usecases.units import units_for

    with guarded(as_json):
        rows = units_for(runtime().engine(), who())
        emit(as_json, rows, lambda: table("units", ["code", "name", "level", "type"], [list(r.values()) for r in rows]))


@bans_app.command("list")
def bans_list(
    every: Annotated[bool, typer.Option("--all", help="Include lifted bans.")] = False,
    as_json: JsonOut = False,
) -> None:
    """The fraud bans, with the years banned and when each ends."""
    from workflow.reads.status import bans_for

    with guarded(as_json):
        rows = bans_for(runtime().engine(), who(), every, runtime().clock.now())
        emit(as_json, rows, lambda: table(
            "bans", ["ban", "ID number", "case", "years", "ends (Beijing)", "in force", "reason", "lifted"],
            [[r["ban"], r["id_number"], r["case"], f"{r['first_year']}–{r['last_year']}", beijing(r["ends_at"]),
              "yes" if r["in_force"] else "no", r["reason"], beijing(r["lifted_at"])] for r in rows],
        ))


@bans_app.command("lift")
def bans_lift(ban: RowId, reason: Reason, as_json: JsonOut = False) -> None:
    """Lift a ban recorded in error (administrators only); the record stays."""
    from workflow.usecases.bans import lift_ban

    with guarded(as_json):
        lift_ban(runtime().engine(), ban, who(), reason, runtime().clock.now())
        emit(as_json, {"ok": True, "ban": ban}, lambda: typer.echo(f"ban {ban} lifted"))


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.add_typer(operator_app, name="operator")
    app.add_typer(unit_app, name="unit")
    app.add_typer(bans_app, name="bans")
