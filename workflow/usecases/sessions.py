"""Sessions of operators logged in to the web pages, kept on the server.

The browser holds a random token; the database holds only its SHA-256, so a copy of the
database opens no session. A session ends after 30 minutes idle or 12 hours in all, at
logout, when its operator is disabled, and when the operator's password changes. Each
session has its own CSRF token, which every form it submits must carry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from notifications.columns import utc_now
from states.values import Actor, Role
from workflow.store.audit import audit
from workflow.store.tables import OPERATORS, SESSIONS, UNITS

IDLE = timedelta(minutes=30)
# A session's last sight is written at most this often: a page needs no write of its own
# (and no disk sync) on every click. The idle time it measures can only be longer than
# the truth, by less than this, so a session may end this much early, never late.
TOUCH_EVERY = timedelta(seconds=60)
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    """A session as its front door sees it: the token (only ever handed to the browser),
    its CSRF token, who it is, and whether they must first choose a new password."""

    token: str
    csrf: str
    actor: Actor
    must_change_password: bool


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Login:
    """Who logged in, and whether they must choose a new password before anything else."""

    actor: Actor
    must_change_password: bool


def start_session(engine: sa.Engine, done: Login, address: str, now: datetime) -> Session:
    """A session for an operator who has just logged in."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with engine.begin() as conn:
        operator_id = conn.execute(sa.select(OPERATORS.c.id).where(OPERATORS.c.login == done.actor.login)).scalar_one()
        conn.execute(sa.insert(SESSIONS), {
            "id": _key(token), "operator_id": operator_id, "csrf": csrf, "address": address[:100],
            "created_at": now, "last_seen_at": now, "expires_at": now + LIFETIME,
        })
    return Session(token, csrf, done.actor, done.must_change_password)


class SessionEnded(Exception):
    """No live session behind the token: log in (again)."""


class FormForged(Exception):
    """A form without its session's CSRF token: refused, nothing changed."""


class PasswordChangeDue(Exception):
    """The operator must choose a new password before anything else."""


@dataclass
class Visit:
    """One request of a browser, as a use case's ``who``: the session's token, when, and
    for a form the CSRF token it carried. The use case settles it on its own connection
    (``access.acting`` or ``access.viewing``), in its own transaction, and leaves the
    session found here for the page to show."""

    token: str
    now: datetime
    form_csrf: str | None = None  # None: a look; a form must carry its session's token
    password_change: bool = False  # the password page is the one place a due change may go
    session: Session | None = field(default=None, compare=False)
    touch_due: bool = field(default=False, compare=False)


# Built once: every page runs it. The operator's row is held as ``access`` holds it.
_SEEN = (
    sa.select(SESSIONS.c.csrf, SESSIONS.c.last_seen_at, SESSIONS.c.expires_at, OPERATORS.c.login,
              OPERATORS.c.role, UNITS.c.code, OPERATORS.c.password_must_change)
    .select_from(SESSIONS.join(OPERATORS, OPERATORS.c.id == SESSIONS.c.operator_id)
                 .outerjoin(UNITS, UNITS.c.id == OPERATORS.c.unit_id))
    .where(SESSIONS.c.id == sa.bindparam("key"), SESSIONS.c.revoked_at.is_(None), OPERATORS.c.active)
)
_SEEN_WRITING = _SEEN.with_for_update(read=True, of=OPERATORS)
_TOUCH = (
    sa.update(SESSIONS).where(SESSIONS.c.id == sa.bindparam("key"), SESSIONS.c.revoked_at.is_(None))
    .values(last_seen_at=sa.bindparam("now"))
)


def seen(conn: sa.Connection, visit: Visit, writing: bool = False) -> Session:
    """The live session behind ``visit``, read on the use case's connection: ended,
    forged and password-change-due visits are refused before anything else happens.
    Writing, its last sight is brought up to date in the same transaction; reading, the
    visit says the write is due (``touch``), which is at most once a minute."""
    key = _key(visit.token)
    row = conn.execute(_SEEN_WRITING if writing else _SEEN, {"key": key}).one_or_none()
    if row is None or visit.now >= row.expires_at or visit.now >= row.last_seen_at + IDLE:
        raise SessionEnded
    session = Session(visit.token, row.csrf, Actor(row.login, Role(row.role), row.code), bool(row.password_must_change))
    if visit.form_csrf is not None and not csrf_matches(session, visit.form_csrf):
        raise FormForged
    if session.must_change_password and not visit.password_change:
        raise PasswordChangeDue
    visit.session = session
    visit.touch_due = visit.now >= row.last_seen_at + TOUCH_EVERY
    if writing and visit.touch_due:
        conn.execute(_TOUCH, {"key": key, "now": visit.now})
        visit.touch_due = False
    return session


def touch(engine: sa.Engine, visit: Visit) -> None:
    """A read's due write of the session's last sight: a short transaction of its own."""
    if visit.touch_due:
        with engine.begin() as conn:
            conn.execute(_TOUCH, {"key": _key(visit.token), "now": visit.now})
        visit.touch_due = False


def settled(engine: sa.Engine, visit: Visit) -> Session:
    """The session a use case found behind ``visit`` (looked up now if the use case
    refused before it looked, a malformed file say), its due write of the last sight made."""
    if visit.session is None:
        with engine.connect() as conn:
            seen(conn, visit)
    touch(engine, visit)
    assert visit.session is not None
    return visit.session


def resume(engine: sa.Engine, token: str, now: datetime, password_change: bool = True) -> Session:
    """The live session behind ``token``, seen again now; ``SessionEnded`` otherwise (a
    session whose password must first change is returned as it is, unless told not to)."""
    visit = Visit(token, now, password_change=password_change)
    with engine.connect() as conn:
        session = seen(conn, visit)
    touch(engine, visit)
    return session


def close_session(engine: sa.Engine, token: str, address: str, now: datetime) -> None:
    """Logout: the session ends now (a second logout changes nothing)."""
    with engine.begin() as conn:
        operator_id = conn.execute(
            sa.update(SESSIONS).where(SESSIONS.c.id == _key(token), SESSIONS.c.revoked_at.is_(None))
            .values(revoked_at=now).returning(SESSIONS.c.operator_id)
        ).scalar()
        if operator_id is not None:
            login = conn.execute(sa.select(OPERATORS.c.login).where(OPERATORS.c.id == operator_id)).scalar_one()
            audit(conn, login, "logout", login, address=address)


def revoke_sessions(conn: sa.Connection, login: str) -> None:
    """Every session of ``login`` ends (it was disabled, or its password changed)."""
    mine = sa.select(OPERATORS.c.id).where(OPERATORS.c.login == login).scalar_subquery()
    conn.execute(sa.update(SESSIONS).where(SESSIONS.c.operator_id == mine, SESSIONS.c.revoked_at.is_(None))
                 .values(revoked_at=utc_now()))


def csrf_matches(session: Session, given: str | None) -> bool:
    """A form's CSRF token is this session's (compared in constant time)."""
    return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())


def site_key(engine: sa.Engine, name: str = "login_form") -> bytes:
    """A secret every replica shares, made by `init` (the login form's signature)."""
    from workflow.store.tables import SITE_KEYS

    with engine.connect() as conn:
        return str(conn.execute(sa.select(SITE_KEYS.c.value).where(SITE_KEYS.c.name == name)).scalar_one()).encode()
