"""Operators' passwords and logging in, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from states.refusals import Refused
from tests.helpers import bj
from tests.integration.world import World
from workflow.operators import register_operator
from workflow.passwords import log_in, set_password
from workflow.tables import AUDIT, OPERATORS

NOW = bj(2024, 10, 8, 10)
GOOD = "correct horse battery"


def rules(err: pytest.ExceptionInfo[Refused]) -> set[str]:
    return {r.rule for r in err.value.refusals}


def audit(engine: sa.Engine, action: str) -> list[sa.Row]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return conn.execute(sa.select(AUDIT).where(AUDIT.c.action == action).order_by(AUDIT.c.id)).all()


def test_a_password_is_stored_only_as_an_argon2_hash_and_logs_in(engine: sa.Engine) -> None:
    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(OPERATORS.c.password_hash).where(OPERATORS.c.login == "clerk")).scalar()
    assert stored.startswith("$argon2id$") and GOOD not in stored
    done = log_in(engine, "clerk", GOOD, "10.0.0.7", NOW)
    assert done.actor.login == "clerk" and not done.must_change_password
    [row] = audit(engine, "login.success")
    assert row.actor == "clerk" and '"10.0.0.7"' in row.details and GOOD not in row.details


def test_an_administrator_sets_another_s_password_which_must_then_be_changed(engine: sa.Engine) -> None:
    World(engine)
    set_password(engine, "admin", "clerk", GOOD)
    assert log_in(engine, "clerk", GOOD, None, NOW).must_change_password
    with pytest.raises(Refused) as err:
        set_password(engine, "reviewer", "clerk", "another good one")
    assert rules(err) == {"role.not_allowed"}
    assert [r.actor for r in audit(engine, "password.change")] == ["admin"]


def test_a_weak_password_is_refused_with_every_reason_and_nothing_changes(engine: sa.Engine) -> None:
    World(engine)
    with pytest.raises(Refused) as err:
        set_password(engine, "clerk", "clerk", "clerk\x1b")
    assert rules(err) == {"password.short", "password.control"}
    with pytest.raises(Refused) as err:
        register_operator(engine, "admin", "newcomer", "新人", "county_reviewer", None, password="newcomer")
    assert "password.short" in rules(err)
    with engine.connect() as conn:
        assert conn.execute(sa.select(OPERATORS.c.id).where(OPERATORS.c.login == "newcomer")).first() is None
    assert audit(engine, "password.change") == []


def test_wrong_password_and_unknown_login_are_refused_alike_and_audited(engine: sa.Engine) -> None:
    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    refusals = []
    for login, password in (("clerk", "wrong password!"), ("nobody", GOOD), ("admin", GOOD)):
        with pytest.raises(Refused) as err:
            log_in(engine, login, password, "10.0.0.9", NOW)
        refusals.append([(r.rule, r.message) for r in err.value.refusals])
    assert refusals[0] == refusals[1] == refusals[2]  # admin has no password yet
    assert [r.actor for r in audit(engine, "login.failure")] == ["clerk", "nobody", "admin"]


def test_five_failures_lock_the_login_for_fifteen_minutes(engine: sa.Engine) -> None:
    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    for minute in range(5):
        with pytest.raises(Refused):
            log_in(engine, "clerk", "not the password", None, NOW + timedelta(minutes=minute))
    assert len(audit(engine, "login.lock")) == 1
    with pytest.raises(Refused) as err:
        log_in(engine, "clerk", GOOD, None, NOW + timedelta(minutes=10))  # the right one, still locked
    assert rules(err) == {"login.locked"} and "北京时间" in err.value.refusals[0].message
    assert log_in(engine, "clerk", GOOD, None, NOW + timedelta(minutes=20)).actor.login == "clerk"


def test_a_disabled_operator_cannot_log_in(engine: sa.Engine) -> None:
    from workflow.operators import set_active

    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    with engine.begin() as conn:
        set_active(conn, "clerk", False)
    with pytest.raises(Refused, match="login.failed"):
        log_in(engine, "clerk", GOOD, None, NOW)


def test_whatever_a_stranger_types_is_audited_safely(engine: sa.Engine) -> None:
    World(engine)
    for login in ("x" * 10_000, "evil\x1b[31m\nlogin", "名字" * 100):
        with pytest.raises(Refused, match="login.failed"):
            log_in(engine, login, "y" * 100_000, "::1", NOW)
    actors = [r.actor for r in audit(engine, "login.failure")]
    assert all(len(a) <= 64 for a in actors) and "\x1b" not in "".join(actors)


def test_failed_logins_at_the_same_moment_are_each_counted(engine: sa.Engine) -> None:
    """Ten wrong passwords at once: five count and lock, the rest meet the lock (none lost)."""
    from tests.integration.test_integrity import race

    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    outcomes = race(*[lambda: log_in(engine, "clerk", "wrong password!", None, NOW) for _ in range(10)])
    assert all(isinstance(o, Refused) for o in outcomes), outcomes
    assert len(audit(engine, "login.failure")) == 5 and len(audit(engine, "login.lock")) == 1
    assert len(audit(engine, "login.locked")) == 5


def test_an_unknown_login_costs_the_same_argon2_check_as_a_known_one(engine: sa.Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    checked: list[str] = []
    real = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, h, p: checked.append(p) or real(self, h, p))
    for login in ("clerk", "nobody"):
        with pytest.raises(Refused, match="login.failed"):
            log_in(engine, login, "wrong password!", None, NOW)
    assert checked == ["wrong password!", "wrong password!"]


def test_a_login_with_a_nul_byte_is_refused_like_any_unknown_login(engine: sa.Engine) -> None:
    World(engine)
    with pytest.raises(Refused, match="login.failed"):
        log_in(engine, "cl\x00erk", GOOD, "::1", NOW)
    assert [len(r.actor) > 0 for r in audit(engine, "login.failure")] == [True]
