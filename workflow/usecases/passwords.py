"""Operators' passwords and logging in: Argon2 hashes checked outside any transaction,
the login limits (``login_limits``), and an audit row for every login, failure, block
and password change.

A password is read by the front door (a prompt, standard input, a form) and handed to
these use cases; it is never stored, logged or put in an error.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from states.refusals import Refusal, Refused
from states.text import control_character
from states.values import Actor, Role
from workflow.store.audit import audit, shown
from workflow.store.db import hold_writer
from workflow.store.tables import OPERATORS
from workflow.usecases.access import Who, acting, identify, require_role, viewing
from workflow.usecases.login_limits import (
    BLOCK,
    Attempt,
    blocked,
    blocks_in_force,
    count_failure,
    count_success,
    unblock,
)
from workflow.usecases.sessions import Login, Session, revoke_sessions, start_session

MIN_LENGTH, MAX_LENGTH = 10, 200
# Every refused login is answered alike, whatever the reason (a wrong password, an unknown
# login, too many tries), so that a stranger learns nothing about which logins exist.
PAUSED = f"尝试次数过多已暂停（{BLOCK.seconds // 60} 分钟后再试，或请管理员解除）"
WRONG = Refusal("login.failed", f"登录名或密码不正确，或{PAUSED}", "password")


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
        found.append(Refusal("password.control", "密码不能含控制字符或不可见的格式字符", "password"))
    if password.strip().casefold() == login.strip().casefold():
        found.append(Refusal("password.login", "密码不能与登录名相同", "password"))
    return found


def _store(conn: sa.Connection, login: str, password: str, must_change: bool) -> None:
    conn.execute(sa.update(OPERATORS).where(OPERATORS.c.login == login).values(
        password_hash=_hasher().hash(password), password_must_change=must_change))


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


def change_own_password(engine: sa.Engine, who: Who, current: str, password: str, address: str | None,
                        now: datetime) -> None:
    """The password page: an operator changes their own password, giving the current one
    first (a session left open on a borrowed computer cannot take the account over). A
    wrong current password counts as a failed login; every reason is given at once."""
    with engine.connect() as conn:
        actor = viewing(conn, who)
        attempt = Attempt.of(actor.login, address)
        stored = None if blocked(conn, attempt, now) else _stored_hash(conn, actor.login)
    problems = strength_refusals(actor.login, password)
    if stored is None or not _verified(stored, current[:MAX_LENGTH]):  # paused: nothing is checked
        with engine.begin() as conn:
            hold_writer(conn)
            audit(conn, actor.login, "password.current_wrong", actor.login, address=attempt.address)
            count_failure(conn, attempt, now)
        problems.insert(0, Refusal("password.current", "当前密码不正确（或尝试次数过多已暂停）", "current"))
    if problems:
        raise Refused(problems)
    set_password(engine, who, actor.login, password, address)


def one_time_password(conn: sa.Connection, login: str) -> str:
    """A password printed once (the first administrator's at `init`), to be changed at first
    login: 16 random characters from an alphabet without look-alikes."""
    alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
    password = "".join(secrets.choice(alphabet) for _ in range(16))
    _store(conn, login, password, must_change=True)
    audit(conn, login, "password.one_time", login)
    return password


@dataclass(frozen=True)
class Candidate:
    """A login attempt as read before its password is checked: the login as typed, the
    operator's stored hash (None for an unknown or disabled login), or blocked by the
    login limits. ``attempt`` is the same as the login limits count it."""

    login: str
    attempt: Attempt
    stored_hash: str | None
    blocked: bool


def log_in(engine: sa.Engine, login: str, password: str, address: str | None, now: datetime) -> Login:
    """The operator behind ``login`` and ``password``, or ``Refused([WRONG])`` whatever the
    reason (a wrong password, an unknown login, a block). Front doors that serve many
    people at once run the three steps themselves, the check bounded (see web/auth.py)."""
    candidate = login_candidate(engine, login, address, now)
    return login_outcome(engine, candidate, password_matches(candidate, password), now)


def login_candidate(engine: sa.Engine, login: str, address: str | None, now: datetime) -> Candidate:
    """Step 1, a read: is the attempt blocked, and what hash is stored."""
    attempt = Attempt.of(login, address)
    with engine.connect() as conn:
        if blocked(conn, attempt, now):
            return Candidate(login, attempt, None, True)
        return Candidate(login, attempt, _stored_hash(conn, login), False)


def password_matches(candidate: Candidate, password: str) -> bool:
    """Step 2, outside any transaction: the Argon2 check (the slow part). A blocked
    attempt checks nothing; an unknown login checks a stand-in, so that its answer takes
    as long as a known one's."""
    if candidate.blocked:
        return False
    return _verified(candidate.stored_hash, password[:MAX_LENGTH]) and len(password) <= MAX_LENGTH


def login_outcome(engine: sa.Engine, candidate: Candidate, matches: bool, now: datetime) -> Login:
    """Step 3, a short write: the outcome counted and audited. What step 1 read is read
    again: a password changed or an operator disabled meanwhile is a refusal."""
    attempt = candidate.attempt
    if candidate.blocked:
        raise Refused([WRONG])  # nothing written: a flood of blocked attempts costs no write
    with engine.begin() as conn:
        hold_writer(conn)
        unchanged = candidate.stored_hash is not None and _stored_hash(conn, candidate.login) == candidate.stored_hash
        same = matches and unchanged
        if not same or blocked(conn, attempt, now):
            audit(conn, attempt.login, "login.failure", attempt.login, address=attempt.address)
            count_failure(conn, attempt, now)
            outcome: Login | None = None
        else:
            count_success(conn, attempt, now)
            audit(conn, attempt.login, "login.success", attempt.login, address=attempt.address)
            must_change = conn.execute(sa.select(OPERATORS.c.password_must_change)
                                       .where(OPERATORS.c.login == candidate.login)).scalar_one()
            outcome = Login(identify(conn, candidate.login), bool(must_change))
    if outcome is None:
        raise Refused([WRONG])
    return outcome


def _stored_hash(conn: sa.Connection, login: str) -> str | None:
    """The hash of an active operator's password; None for anyone else. No registered
    login holds a control character (and PostgreSQL refuses a NUL in a query)."""
    if control_character(login, multiline=False) is not None or len(login) > 64:
        return None
    return conn.execute(sa.select(OPERATORS.c.password_hash)
                        .where(OPERATORS.c.login == login, OPERATORS.c.active)).scalar()


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


def unblock_login(engine: sa.Engine, who: Who, login: str, address: str | None = None) -> int:
    """`operator unlock`, the administration page: an administrator lifts the login limits'
    blocks of ``login`` (or of an address given alone); an audit row either way."""
    with engine.begin() as conn:
        admin = acting(conn, who, Role.ADMINISTRATOR)
        lifted = unblock(conn, login, address)
        audit(conn, admin.login, "login.unlock", shown(login or address or "", 200), address=address, rows=lifted)
    return lifted


def login_blocks_for(engine: sa.Engine, who: Who, now: datetime) -> list[dict[str, object]]:
    """The login limits' blocks in force, for an administrator."""
    with engine.connect() as conn:
        viewing(conn, who, Role.ADMINISTRATOR)
        return blocks_in_force(conn, now)


def open_session(engine: sa.Engine, login: str, password: str, address: str, now: datetime) -> Session:
    """Log in (refused as ``log_in`` refuses) and open a session."""
    return start_session(engine, log_in(engine, login, password, address, now), address, now)
