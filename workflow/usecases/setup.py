"""`init`: the schema brought to its head, notices loaded, the first administrator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from states.refusals import Refusal, Refused
from states.values import Actor, Role
from workflow.usecases.access import Who


def initialise(engine: sa.Engine, who: Who, notices: list[Path], admin: str | None = None,
               admin_name: str = "管理员", force: bool = False, reason: str = "",
               admin_password: str | None = None, only_first: bool = False) -> dict[str, Any]:
    """Safe to repeat: an unchanged notice and an existing administrator change nothing.

    A new administrator gets ``admin_password``, or else a one-time password, returned
    here once, to be changed at first login. With ``only_first`` (the run command's
    ``--first-admin``), ``admin`` is registered only in a database without operators."""
    from workflow.store.db import hold_setup_lock, upgrade
    from workflow.usecases.campaigns import load_notices
    from workflow.usecases.operators import has_operators

    upgrade(engine)
    with engine.begin() as conn:
        hold_setup_lock(conn)
        loaded = load_notices(conn, notices, who if isinstance(who, str) else None, force, reason)
        if only_first and has_operators(conn):
            admin = None  # someone can log in already
        created = bool(admin) and not _is_administrator(conn, admin or "")
        one_time = _first_administrator(conn, admin, admin_name, admin_password) if admin and created else None
    return {"ok": True, "database": engine.url.render_as_string(hide_password=True), "notices": loaded,
            "admin": admin, "admin_created": created, "one_time_password": one_time}


def _first_administrator(conn: sa.Connection, login: str, name: str, password: str | None) -> str | None:
    """Only an empty database takes an administrator from `init`; later ones come from
    an administrator's `operator add`. Returns the one-time password, if one was made."""
    from workflow.usecases.operators import add_operator, has_operators
    from workflow.usecases.passwords import first_password, one_time_password, strength_refusals

    if has_operators(conn):
        raise Refused([Refusal("operator.bootstrap", "已有操作员；请由管理员用 operator add 登记", "admin")])
    if password is not None and (problems := strength_refusals(login, password)):
        raise Refused(problems)
    add_operator(conn, login, name, Role.ADMINISTRATOR.value, None)
    if password is None:
        return one_time_password(conn, login)
    first_password(conn, Actor(login, Role.ADMINISTRATOR), login, password)
    return None


def _is_administrator(conn: sa.Connection, login: str) -> bool:
    """`init --admin` again with the same administrator is no change (the run command repeats it)."""
    from workflow.usecases.access import identify

    try:
        return identify(conn, login).role is Role.ADMINISTRATOR
    except Refused:
        return False
