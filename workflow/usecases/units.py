"""Recommending units: registered by an administrator, or created by the first import."""

from __future__ import annotations

import sqlalchemy as sa

from states.refusals import Refusal, Refused
from states.values import Role
from workflow.inputs.fields import code_problem, contact_refusals, text_refusals
from workflow.store.cases import loaded_notices
from workflow.store.tables import UNITS
from workflow.usecases.access import Who, acting, viewing


def known_levels(conn: sa.Connection) -> set[str]:
    """Unit levels any loaded notice knows."""
    return {level for _, notice in loaded_notices(conn) for level in notice.known_unit_levels}


def add_unit(conn: sa.Connection, code: str, name: str, level: str, type_: str,
             email: str | None = None, phone: str | None = None) -> None:
    problems = [
        Refusal("unit.empty", f"单位{said}不能为空", label)
        for label, said, value in (("name", "名称", name), ("type", "类型", type_))
        if not value.strip()
    ]
    if (bad_code := code_problem(code)) is not None:
        problems.append(Refusal("unit.code", f"单位代码：{bad_code}", "code"))
    levels = known_levels(conn)
    if level not in levels:
        known = "、".join(sorted(levels))
        problems.append(Refusal("unit.level", f"未知的单位级别 {level!r}（可用：{known}）", "level"))
    email, phone, bad_contacts = contact_refusals("unit", email, phone)
    problems += bad_contacts + text_refusals("unit", name=(name, 200), type=(type_, 64))
    if conn.execute(sa.select(UNITS.c.id).where(UNITS.c.code == code)).first():
        problems.append(Refusal("unit.exists", f"单位 {code} 已登记", "code"))
    if problems:
        raise Refused(problems)
    conn.execute(sa.insert(UNITS), {"code": code, "name": name, "level": level, "type": type_,
                                "email": email, "phone": phone})


def register_unit(engine: sa.Engine, who: Who, code: str, name: str, level: str, type_: str,
                  email: str | None = None, phone: str | None = None) -> None:
    """`unit add`: an administrator registers a recommending unit."""
    with engine.begin() as conn:
        acting(conn, who, Role.ADMINISTRATOR)
        add_unit(conn, code, name, level, type_, email, phone)


def _list_units(conn: sa.Connection) -> list[dict[str, object]]:
    units = sa.select(UNITS.c.code, UNITS.c.name, UNITS.c.level, UNITS.c.type).order_by(UNITS.c.code)
    return [dict(r._mapping) for r in conn.execute(units)]


def units_for(engine: sa.Engine, who: Who) -> list[dict[str, object]]:
    """Every recommending unit, for an administrator."""
    with engine.connect() as conn:
        viewing(conn, who, Role.ADMINISTRATOR)
        return _list_units(conn)
