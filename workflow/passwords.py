"""Operators' passwords and logging in: Argon2 hashes, a lock after repeated failures,
and an audit row for every login, failure, lock and password change.

A password is read by the front door (a prompt, standard input, a form) and handed to
these use cases; it is never stored, logged or put in an error.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from states.clock import beijing_text
from states.machine import Actor, Role
from states.refusals import Refusal, Refused
from states.text import control_character
from workflow.access import Who, acting, identify, require_role
from workflow.audit import audit
from workflow.db import hold_writer
from workflow.sessions import revoke_sessions
from workflow.tables import OPERATORS

MIN_LENGTH, MAX_LENGTH = 10, 200
FAILURES_BEFORE_LOCK = 5
LOCK = timedelta(minutes=15)
# Refused alike, so that a stranger cannot tell a wrong password from an unknown login.
WRONG = Refusal("login.failed", "登录名或密码不正确", "password")


def _hasher() -> Any:
    from argon2 import PasswordHasher  # only commands that handle passwords pay for it

    return PasswordHasher()


def strength_refusals(login: str, password: str) -> list[Refusal]:
    """What makes a password unusable, every reason at once (never the password itself)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(Refusal("password.short", f"密码至少 {MIN_LENGTH} 个字符", "password"))
    if len(password) > MAX_LENGTH:
        found.append(Refusal("password.long", f"密码最多 {MAX_LENGTH} 个字符", "password"))
    if control_character(password, multiline=False) is not None:
        found.append(Refusal("password.control", "密码不能含控制字符", "password"))
    if password.strip().casefold() == login.strip().casefold():
        found.append(Refusal("password.login", "密码不能与登录名相同", "password"))
    return found


def _store(conn: sa.Connection, login: str, password: str, must_change: bool) -> None:
    conn.execute(sa.update(OPERATORS).where(OPERATORS.c.login == login).values(
        password_hash=_hasher().hash(password), password_must_change=must_change,
        failed_logins=0, locked_until=None))


def first_password(conn: sa.Connection, actor: Actor, login: str, password: str) -> None:
    """The password a new operator starts with (checked by the caller): to be changed at
    first login unless they chose it themselves."""
    _store(conn, login, password, must_change=actor.login != login)
    audit(conn, actor.login, "password.change", login)


def set_password(engine: sa.Engine, who: Who, login: str, password: str, address: str | None = None) -> None:
    """`operator passwd`: an operator changes their own password, or an administrator sets
    one for another operator, who must then change it at first login."""
    with engine.begin() as conn:
        actor = acting(conn, who)
        if actor.login != login:
            require_role(actor, Role.ADMINISTRATOR)
            identify(conn, login)  # an active, registered operator
        problems = strength_refusals(login, password)
        if problems:
            raise Refused(problems)
        _store(conn, login, password, must_change=actor.login != login)
        audit(conn, actor.login, "password.change", login, address=address)
        revoke_sessions(conn, login)  # every session it had ends; it logs in again


def one_time_password(conn: sa.Connection, login: str) -> str:
    """A password printed once (the first administrator's at `init`), to be changed at first
    login: 16 random characters from an alphabet without look-alikes."""
    alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
    password = "".join(secrets.choice(alphabet) for _ in range(16))
    _store(conn, login, password, must_change=True)
    audit(conn, login, "password.one_time", login)
    return password


@dataclass(frozen=True)
class Login:
    """Who logged in, and whether they must choose a new password before anything else."""

    actor: Actor
    must_change_password: bool


def log_in(engine: sa.Engine, login: str, password: str, address: str | None, now: datetime) -> Login:
    """The operator behind ``login`` and ``password``, or a refusal that does not say which
    was wrong. Every attempt is audited (and kept: a refused login commits its failure);
    the fifth failure in a row locks the login for 15 minutes."""
    with engine.begin() as conn:
        outcome = _attempt(conn, login, password, address, now)
    if isinstance(outcome, Refusal):
        raise Refused([outcome])
    return outcome


def _attempt(conn: sa.Connection, login: str, password: str, address: str | None, now: datetime) -> Login | Refusal:
    # Attempts at the same moment are counted one after the other: SQLite's write lock
    # from the first read, PostgreSQL's lock on the operator's row.
    hold_writer(conn)
    # No registered login holds a control character (and PostgreSQL refuses a NUL in a query).
    row = None if control_character(login, multiline=False) is not None else conn.execute(
        sa.select(OPERATORS.c.password_hash, OPERATORS.c.active, OPERATORS.c.failed_logins,
                  OPERATORS.c.locked_until, OPERATORS.c.password_must_change)
        .where(OPERATORS.c.login == login).with_for_update()
    ).one_or_none()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        audit(conn, login, "login.locked", login, address=address)
        until = beijing_text(row.locked_until, seconds=False)
        return Refusal("login.locked", f"连续 {FAILURES_BEFORE_LOCK} 次登录失败，已锁定至 {until}（北京时间）", "login")
    # Checked even for an unknown login, so that its answer takes as long as a known one's.
    verified = _verified(row.password_hash if row is not None else None, password[:MAX_LENGTH])
    if row is None or not row.active or len(password) > MAX_LENGTH or not verified:
        _failed(conn, login, row, address, now)
        return WRONG
    conn.execute(sa.update(OPERATORS).where(OPERATORS.c.login == login).values(failed_logins=0, locked_until=None))
    audit(conn, login, "login.success", login, address=address)
    return Login(identify(conn, login), bool(row.password_must_change))


def _verified(stored: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        # With no password set, a stand-in hash is checked: the same time either way.
        return bool(_hasher().verify(stored or _stand_in(), password))
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _stand_in() -> str:
    """One hash of a random password per process, checked when there is no real one."""
    return str(_hasher().hash(secrets.token_urlsafe(16)))


def _failed(conn: sa.Connection, login: str, row: Any, address: str | None, now: datetime) -> None:
    audit(conn, login, "login.failure", login, address=address)
    if row is None:
        return
    failures = row.failed_logins + 1
    locked = now + LOCK if failures >= FAILURES_BEFORE_LOCK else None
    conn.execute(sa.update(OPERATORS).where(OPERATORS.c.login == login).values(
        failed_logins=0 if locked else failures, locked_until=locked))
    if locked:
        audit(conn, login, "login.lock", login, address=address)
