"""Who is acting, settled inside each use case's own transaction.

A front door (the command line, the web) knows only a login; the use case identifies it
on the connection it writes with, so an operator disabled a moment ago cannot act, and
the role that decides is the one stored when the change commits. The background service
acts as ``SERVICE_ACTOR``, which no login can claim.
"""

from __future__ import annotations

import sqlalchemy as sa

from states.refusals import Refusal, Refused
from states.values import SERVICE_ACTOR, Actor, Role
from workflow.store.db import hold_writer
from workflow.store.tables import OPERATORS, UNITS
from workflow.usecases.sessions import Visit, seen

# A login from the command line, a browser's visit, or the service's own actor from within.
Who = str | Visit | Actor | None
# Built once: every use case runs it. The operator's row is held for the use case's
# transaction (PostgreSQL: FOR SHARE; SQLite has one writer at a time already), so an
# act and a disable under way happen one after the other, never across each other.
_OPERATOR = (
    sa.select(OPERATORS.c.role, OPERATORS.c.active, UNITS.c.code)
    .select_from(OPERATORS.outerjoin(UNITS, UNITS.c.id == OPERATORS.c.unit_id))
    .where(OPERATORS.c.login == sa.bindparam("login"))
    .with_for_update(read=True, of=OPERATORS)
)


def identify(conn: sa.Connection, login: str | None) -> Actor:
    """The registered, active operator with this login."""
    if not login:
        raise Refused([Refusal(
            "operator.missing", "未指明操作员：使用 --as LOGIN 或设置 CHUDING_OPERATOR", "operator"
        )])
    row = conn.execute(_OPERATOR, {"login": login}).one_or_none()
    if row is None or not row.active:
        raise Refused([Refusal("operator.unknown", f"操作员 {login} 未登记或已停用", "operator")])
    return Actor(login, Role(row.role), row.code)


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        names = "、".join(r.value for r in roles)
        raise Refused([Refusal("role.not_allowed", f"此操作须由 {names} 执行", "operator")])


def acting(conn: sa.Connection, who: Who, *roles: Role) -> Actor:
    """The actor behind ``who``, checked on ``conn`` (the use case's own transaction,
    which from here holds what it read); with ``roles``, one of them."""
    hold_writer(conn)
    if isinstance(who, Visit):
        actor = seen(conn, who, writing=True).actor
    elif isinstance(who, Actor):
        if who != SERVICE_ACTOR:
            raise TypeError("only the background service acts without a login")
        actor = who
    else:
        actor = identify(conn, who)
    if roles:
        require_role(actor, *roles)
    return actor


def viewing(conn: sa.Connection, who: Who, *roles: Role) -> Actor:
    """The actor behind a login or a visit, for a read (no write lock taken); with
    ``roles``, one of them. The service's own actor reads nothing through a front door."""
    login = who if isinstance(who, str) else None
    actor = seen(conn, who).actor if isinstance(who, Visit) else identify(conn, login)
    if roles:
        require_role(actor, *roles)
    return actor
