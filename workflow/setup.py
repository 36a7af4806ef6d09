"""`init`: the schema brought to its head, notices loaded, the first administrator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from states.machine import Role
from states.refusals import Refusal, Refused
from workflow.access import Who


def initialise(engine: sa.Engine, who: Who, notices: list[Path], admin: str | None = None,
               admin_name: str = "管理员", force: bool = False, reason: str = "") -> dict[str, Any]:
    """Safe to repeat: an unchanged notice and an existing administrator change nothing."""
    from workflow.campaigns import load_notices
    from workflow.db import hold_setup_lock, upgrade

    upgrade(engine)
    with engine.begin() as conn:
        hold_setup_lock(conn)
        loaded = load_notices(conn, notices, who if isinstance(who, str) else None, force, reason)
        created = bool(admin) and not _is_administrator(conn, admin or "")
        if admin and created:
            _first_administrator(conn, admin, admin_name)
    return {"ok": True, "database": engine.url.render_as_string(hide_password=True), "notices": loaded,
            "admin": admin, "admin_created": created}


def _first_administrator(conn: sa.Connection, login: str, name: str) -> None:
    """Only an empty database takes an administrator from `init`; later ones come from
    an administrator's `operator add`."""
    from workflow.operators import add_operator, has_operators

    if has_operators(conn):
        raise Refused([Refusal("operator.bootstrap", "已有操作员；请由管理员用 operator add 登记", "admin")])
    add_operator(conn, login, name, Role.ADMINISTRATOR.value, None)


def _is_administrator(conn: sa.Connection, login: str) -> bool:
    """`init --admin` again with the same administrator is no change (the run command repeats it)."""
    from workflow.access import identify

    try:
        return identify(conn, login).role is Role.ADMINISTRATOR
    except Refused:
        return False
