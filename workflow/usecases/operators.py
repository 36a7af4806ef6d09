"""Operators: staff registered with one role (and one unit for unit operators).

Registering and disabling are an administrator's acts (``register_operator``,
``disable_operator``); ``workflow.usecases.access`` says who an operator is.
"""

from __future__ import annotations

import sqlalchemy as sa

from notifications.columns import utc_now
from states.refusals import Refusal, Refused
from states.values import SERVICE_ACTOR, Role
from workflow.inputs.fields import code_problem, contact_refusals, text_refusals
from workflow.store.tables import OPERATORS, UNITS
from workflow.usecases.access import Who, acting, viewing

STAFF_ROLES = [r for r in Role if r is not Role.SERVICE]
RESERVED_LOGIN = SERVICE_ACTOR.login  # the background service's name in every history row


def add_operator(
    conn: sa.Connection, login: str, name: str, role: str, unit_code: str | None,
    email: str | None = None, phone: str | None = None,
) -> None:
    problems = []
    if role not in {r.value for r in STAFF_ROLES}:
        allowed = ", ".join(r.value for r in STAFF_ROLES)
        problems.append(Refusal("operator.role", f"未知角色 {role}（可用：{allowed}）", "role"))
    unit_id = None
    if role == Role.UNIT_OPERATOR and not unit_code:
        problems.append(Refusal("operator.unit", "单位操作员须指定所属单位 --unit", "unit"))
    if role != Role.UNIT_OPERATOR and unit_code:
        problems.append(Refusal("operator.unit", "只有单位操作员属于某个单位", "unit"))
    if unit_code:
        unit_id = conn.execute(sa.select(UNITS.c.id).where(UNITS.c.code == unit_code)).scalar()
        if unit_id is None:
            problems.append(Refusal("operator.unit", f"单位 {unit_code} 未登记", "unit"))
    if conn.execute(sa.select(OPERATORS.c.id).where(OPERATORS.c.login == login)).first():
        problems.append(Refusal("operator.exists", f"操作员 {login} 已存在", "login"))
    email, phone, bad_contacts = contact_refusals("operator", email, phone)
    problems += bad_contacts + text_refusals("operator", name=(name, 100))
    if (bad_login := code_problem(login)) is not None:
        problems.append(Refusal("operator.login", f"登录名：{bad_login}", "login"))
    if login.strip().casefold() == RESERVED_LOGIN:
        problems.append(Refusal("operator.reserved", f"登录名 {RESERVED_LOGIN} 留给后台服务使用", "login"))
    if problems:
        raise Refused(problems)
    conn.execute(sa.insert(OPERATORS).values(
        login=login, name=name, role=role, unit_id=unit_id, email=email, phone=phone,
        active=True, created_at=utc_now(),
    ))


def set_active(conn: sa.Connection, login: str, active: bool) -> None:
    """Enable or disable an operator; the last active administrator cannot be disabled."""
    if conn.dialect.name == "postgresql":
        # Two administrators disabling each other at once: the second waits, then sees.
        conn.execute(sa.select(OPERATORS.c.id).where(OPERATORS.c.role == Role.ADMINISTRATOR.value, OPERATORS.c.active)
                     .with_for_update())
    change = sa.update(OPERATORS).where(OPERATORS.c.login == login).values(active=active)
    if not active:
        # One statement (atomic on SQLite): disable unless no other administrator stays active.
        other = sa.alias(OPERATORS)
        another_administrator = sa.exists().where(
            other.c.role == Role.ADMINISTRATOR.value, other.c.active, other.c.login != login)
        change = change.where(sa.or_(OPERATORS.c.role != Role.ADMINISTRATOR.value, another_administrator))
    if conn.execute(change).rowcount == 1:
        if not active:
            from workflow.usecases.sessions import revoke_sessions

            revoke_sessions(conn, login)  # a disabled operator's open sessions end now
        return
    if conn.execute(sa.select(OPERATORS.c.id).where(OPERATORS.c.login == login)).first() is None:
        raise Refused([Refusal("operator.unknown", f"操作员 {login} 未登记", "login")])
    raise Refused([Refusal("operator.last_administrator",
                           f"{login} 是最后一位在用的管理员，不能停用（先登记另一位管理员）", "login")])


def has_operators(conn: sa.Connection) -> bool:
    return conn.execute(sa.select(OPERATORS.c.id).limit(1)).first() is not None


def _list_operators(conn: sa.Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        sa.select(OPERATORS.c.login, OPERATORS.c.name, OPERATORS.c.role, UNITS.c.code.label("unit"), OPERATORS.c.active)
        .select_from(OPERATORS.outerjoin(UNITS, UNITS.c.id == OPERATORS.c.unit_id))
        .order_by(OPERATORS.c.login)
    )
    return [dict(r._mapping) for r in rows]


def operators_for(engine: sa.Engine, who: Who) -> list[dict[str, object]]:
    """Every operator, for an administrator."""
    with engine.connect() as conn:
        viewing(conn, who, Role.ADMINISTRATOR)
        return _list_operators(conn)


def register_operator(
    engine: sa.Engine, who: Who, login: str, name: str, role: str, unit_code: str | None,
    email: str | None = None, phone: str | None = None, password: str | None = None,
) -> None:
    """`operator add`: an administrator registers an operator, with a first password to be
    changed at first login if one is given."""
    from workflow.usecases.passwords import first_password, strength_refusals

    with engine.begin() as conn:
        actor = acting(conn, who, Role.ADMINISTRATOR)
        if password is not None and (problems := strength_refusals(login, password)):
            raise Refused(problems)
        add_operator(conn, login, name or login, role, unit_code, email, phone)
        if password is not None:
            first_password(conn, actor, login, password)


def disable_operator(engine: sa.Engine, who: Who, login: str) -> None:
    """`operator disable`: an administrator stops an operator from acting."""
    with engine.begin() as conn:
        acting(conn, who, Role.ADMINISTRATOR)
        set_active(conn, login, False)
