"""How often a login may fail, counted in the database so that every replica counts alike.

Three counts, each over a 15-minute window, each blocking for 15 minutes when reached:
- a login at one address (5): the operator who mistypes is stopped, and a stranger
  elsewhere cannot lock them out of their own address;
- an address (20, whatever logins it tries): a stranger spraying logins is stopped
  before it costs a password check;
- a login from every address (50): a guess spread over many addresses is slowed.
A login at an address it has succeeded from in the last 90 days is held only by the
first count, so that strangers behind the same address cannot keep its owner out.
A blocked attempt is refused before any password is checked and writes nothing; each
block is an audit row, and an administrator can lift a login's blocks (``unblock``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from workflow.store.audit import audit, shown
from workflow.store.tables import LOGIN_THROTTLE

WINDOW = timedelta(minutes=15)
BLOCK = timedelta(minutes=15)
KNOWN_FOR = timedelta(days=90)
LIMITS = {"pair": 5, "address": 20, "login": 50}


@dataclass(frozen=True)
class Attempt:
    """One login attempt as counted: the login as typed (made safe to store) and the address."""

    login: str
    address: str

    @classmethod
    def of(cls, login: str, address: str | None) -> Attempt:
        return cls(shown(login, 64), shown(address or "", 100))

    def keys(self) -> dict[str, tuple[str, str]]:
        return {"pair": (self.login, self.address), "address": ("", self.address), "login": (self.login, "")}


def _row(kind: str, login: str, address: str) -> sa.ColumnElement[bool]:
    t = LOGIN_THROTTLE.c
    return sa.and_(t.kind == kind, t.login == login, t.address == address)


def blocked(conn: sa.Connection, attempt: Attempt, now: datetime) -> bool:
    """Whether this attempt is refused before its password is checked (a read only)."""
    t = LOGIN_THROTTLE.c
    wanted = [_row(kind, *key) for kind, key in attempt.keys().items()]
    rows = conn.execute(sa.select(t.kind, t.window_start, t.blocked_until).where(
        sa.or_(*wanted, _row("known", attempt.login, attempt.address)))).all()
    known = any(r.kind == "known" and r.window_start > now - KNOWN_FOR for r in rows)
    # A login at an address it has succeeded from is held only by its own count there: a
    # stranger behind the same address (the bureau's one NAT address) cannot pause it.
    return any(r.kind != "known" and r.blocked_until is not None and r.blocked_until > now
               and not (r.kind in ("login", "address") and known) for r in rows)


def count_failure(conn: sa.Connection, attempt: Attempt, now: datetime) -> None:
    """A failed attempt counted under each of its keys, in the caller's short transaction;
    a count that reaches its limit blocks and is audited."""
    t = LOGIN_THROTTLE.c
    for kind, (login, address) in attempt.keys().items():
        _ensure(conn, kind, login, address, now)
        row = conn.execute(sa.select(t.failures, t.window_start, t.blocked_until)
                           .where(_row(kind, login, address)).with_for_update()).one()
        failures = 1 if row.window_start <= now - WINDOW else row.failures + 1
        start = now if failures == 1 else row.window_start
        blocks = failures >= LIMITS[kind] and not (row.blocked_until and row.blocked_until > now)
        conn.execute(sa.update(LOGIN_THROTTLE).where(_row(kind, login, address)).values(
            failures=0 if blocks else failures, window_start=now if blocks else start,
            blocked_until=now + BLOCK if blocks else row.blocked_until))
        if blocks:
            audit(conn, attempt.login, "login.lock", attempt.login, address=attempt.address, by=kind,
                  until=(now + BLOCK).isoformat())
    # Rows of windows long past say nothing: they go as new ones come.
    conn.execute(sa.delete(LOGIN_THROTTLE).where(
        t.kind != "known", t.window_start < now - 2 * WINDOW,
        sa.or_(t.blocked_until.is_(None), t.blocked_until < now)))


def count_success(conn: sa.Connection, attempt: Attempt, now: datetime) -> None:
    """A login that succeeded: its count at this address starts again, and the address is
    remembered as one it uses."""
    conn.execute(sa.delete(LOGIN_THROTTLE).where(_row("pair", attempt.login, attempt.address)))
    _ensure(conn, "known", attempt.login, attempt.address, now)
    conn.execute(sa.update(LOGIN_THROTTLE).where(_row("known", attempt.login, attempt.address))
                 .values(window_start=now))


def _ensure(conn: sa.Connection, kind: str, login: str, address: str, now: datetime) -> None:
    """The row exists (made by whichever attempt comes first, on either database)."""
    values = {"kind": kind, "login": login, "address": address, "failures": 0, "window_start": now}
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(LOGIN_THROTTLE).values(values).on_conflict_do_nothing())
    else:
        conn.execute(sa.insert(LOGIN_THROTTLE).prefix_with("OR IGNORE").values(values))


def blocks_in_force(conn: sa.Connection, now: datetime) -> list[dict[str, object]]:
    """The blocks in force now, newest first: what, which login or address, until when."""
    t = LOGIN_THROTTLE.c
    rows = conn.execute(sa.select(t.kind, t.login, t.address, t.blocked_until)
                        .where(t.kind != "known", t.blocked_until > now).order_by(t.blocked_until.desc()))
    return [dict(r._mapping) for r in rows]


def unblock(conn: sa.Connection, login: str, address: str | None = None) -> int:
    """Lifts the blocks of ``login`` (at every address, or at one), or of an address given
    alone, with the failures counted so far; returns how many rows went. The caller audits."""
    t = LOGIN_THROTTLE.c
    if login:
        where = sa.and_(t.login == login, t.kind.in_(("pair", "login")))
        if address:
            where = sa.and_(where, sa.or_(t.address == address, t.kind == "login"))
    else:
        where = sa.and_(t.kind == "address", t.address == (address or ""))
    return conn.execute(sa.delete(LOGIN_THROTTLE).where(where)).rowcount
