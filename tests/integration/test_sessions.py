"""Server-side sessions: their ends (idle, lifetime, logout, disable, password change)
and their CSRF token, on both databases."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from states.refusals import Refused
from states.values import Event
from tests.support.helpers import bj, engineer, teacher
from tests.support.world import World
from workflow.reads.cases import cases_for
from workflow.store.cases import CaseNotFound
from workflow.store.tables import AUDIT, OPERATORS, SESSIONS
from workflow.usecases.events import run_event
from workflow.usecases.operators import set_active
from workflow.usecases.passwords import open_session, set_password
from workflow.usecases.sessions import (
    IDLE,
    LIFETIME,
    TOUCH_EVERY,
    FormForged,
    PasswordChangeDue,
    SessionEnded,
    Visit,
    close_session,
    csrf_matches,
    resume,
    touch,
)

NOW = bj(2024, 10, 8, 9)
OPEN = bj(2024, 10, 9, 10)  # the online window is open: events may happen
GOOD = "correct horse battery"


def opened(engine: sa.Engine, login: str = "clerk", at=NOW):  # type: ignore[no-untyped-def]
    set_password(engine, login, login, GOOD)
    return open_session(engine, login, GOOD, "10.1.2.3", at)


def ended(engine: sa.Engine, token: str, at) -> bool:  # type: ignore[no-untyped-def]
    try:
        resume(engine, token, at)
    except SessionEnded:
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


def _last_seen(engine: sa.Engine) -> list:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return list(conn.execute(sa.select(SESSIONS.c.last_seen_at).order_by(SESSIONS.c.id)).scalars())


def test_an_event_settles_its_visit_in_its_own_transaction(engine: sa.Engine) -> None:
    """The session is read, its CSRF token checked and its last sight written on the
    event's own connection: a forged form, an ended session or one whose password must
    first change moves nothing; a good one moves the case and the session's clock."""
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    session = opened(engine, at=OPEN)
    before = world.state(case), len(world.history(case)), _last_seen(engine)
    later = OPEN + TOUCH_EVERY
    with pytest.raises(FormForged):
        run_event(engine, case, Event.SUBMIT, Visit(session.token, later, session.csrf + "x"), later)
    with pytest.raises(SessionEnded):
        run_event(engine, case, Event.SUBMIT, Visit(session.token + "x", later, session.csrf), later)
    assert (world.state(case), len(world.history(case)), _last_seen(engine)) == before
    run_event(engine, case, Event.SUBMIT, Visit(session.token, later, session.csrf), later)
    assert world.state(case) == "submitted" and world.history(case)[-1].actor == "clerk"
    assert _last_seen(engine) == [later]
    with engine.begin() as conn:
        conn.execute(sa.update(OPERATORS).values(password_must_change=True))
    with pytest.raises(PasswordChangeDue):
        run_event(engine, case, Event.WITHDRAW, Visit(session.token, later, session.csrf), later)
    assert world.state(case) == "submitted"


def test_a_look_says_when_its_session_s_last_sight_is_due_and_touch_writes_it(engine: sa.Engine) -> None:
    World(engine)
    session = opened(engine)
    soon, later = NOW + TOUCH_EVERY / 2, NOW + TOUCH_EVERY
    for at, due in ((soon, False), (later, True)):
        visit = Visit(session.token, at)
        assert cases_for(engine, visit) == []
        assert visit.touch_due is due and visit.session is not None and visit.session.csrf == session.csrf
        touch(engine, visit)
    assert _last_seen(engine) == [later]


def test_another_unit_s_case_is_not_found_through_a_visit_either(engine: sa.Engine) -> None:
    world = World(engine)
    case, _ = world.import_([engineer(), teacher()]).created  # the water station's, the school's
    school = opened(engine, "school", OPEN)
    world.run(case, Event.SUBMIT, "clerk", OPEN)
    with pytest.raises(CaseNotFound):
        run_event(engine, case, Event.WITHDRAW, Visit(school.token, OPEN, school.csrf), OPEN)
    assert world.state(case) == "submitted"
