"""Server-side sessions: their ends (idle, lifetime, logout, disable, password change)
and their CSRF token, on both databases."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from states.refusals import Refused
from tests.helpers import bj
from tests.integration.world import World
from workflow.operators import set_active
from workflow.passwords import set_password
from workflow.sessions import IDLE, LIFETIME, close_session, csrf_matches, open_session, resume
from workflow.tables import AUDIT, SESSIONS

NOW = bj(2024, 10, 8, 9)
GOOD = "correct horse battery"


def opened(engine: sa.Engine, login: str = "clerk"):  # type: ignore[no-untyped-def]
    set_password(engine, login, login, GOOD)
    return open_session(engine, login, GOOD, "10.1.2.3", NOW)


def ended(engine: sa.Engine, token: str, at) -> bool:  # type: ignore[no-untyped-def]
    try:
        resume(engine, token, at)
    except Refused as err:
        assert [r.rule for r in err.refusals] == ["session.ended"]
        return True
    return False


def test_a_session_is_stored_by_its_token_s_hash_and_resumes(engine: sa.Engine) -> None:
    World(engine)
    session = opened(engine)
    with engine.connect() as conn:
        [row] = conn.execute(sa.select(SESSIONS)).all()
    assert row.id == hashlib.sha256(session.token.encode()).hexdigest() and session.token not in row.id
    again = resume(engine, session.token, NOW + timedelta(minutes=5))
    assert again.actor.login == "clerk" and again.csrf == session.csrf
    assert ended(engine, session.token + "x", NOW)


def test_thirty_minutes_idle_end_it_and_each_use_resets_the_clock(engine: sa.Engine) -> None:
    World(engine)
    session = opened(engine)
    at = NOW
    for _ in range(4):  # 4 × 29 minutes: active for almost two hours
        at += IDLE - timedelta(minutes=1)
        assert not ended(engine, session.token, at)
    assert ended(engine, session.token, at + IDLE)


def test_twelve_hours_end_it_however_active(engine: sa.Engine) -> None:
    World(engine)
    session = opened(engine)
    at = NOW
    while at + timedelta(minutes=20) < NOW + LIFETIME:
        at += timedelta(minutes=20)
        assert not ended(engine, session.token, at)
    assert ended(engine, session.token, NOW + LIFETIME)


def test_logout_disable_and_password_change_end_sessions(engine: sa.Engine) -> None:
    World(engine)
    first, second = opened(engine), open_session(engine, "clerk", GOOD, "10.1.2.4", NOW)
    close_session(engine, first.token, "10.1.2.3", NOW)
    assert ended(engine, first.token, NOW) and not ended(engine, second.token, NOW)
    set_password(engine, "clerk", "clerk", "another good password")
    assert ended(engine, second.token, NOW)
    third = open_session(engine, "clerk", "another good password", "10.1.2.5", NOW)
    with engine.begin() as conn:
        set_active(conn, "clerk", False)
    assert ended(engine, third.token, NOW)
    with engine.connect() as conn:
        actions = conn.execute(sa.select(AUDIT.c.action).order_by(AUDIT.c.id)).scalars().all()
    assert actions.count("logout") == 1 and actions.count("login.success") == 3


def test_the_csrf_token_is_the_session_s_own(engine: sa.Engine) -> None:
    World(engine)
    session = opened(engine)
    other = opened(engine, "reviewer")
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, other.csrf) and not csrf_matches(session, None)
    assert not csrf_matches(session, "")


def test_a_wrong_password_opens_no_session(engine: sa.Engine) -> None:
    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    with pytest.raises(Refused, match="login.failed"):
        open_session(engine, "clerk", "not it at all", "10.1.2.3", NOW)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(SESSIONS)).scalar() == 0
