"""Operators' passwords and logging in, on both databases."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from states.refusals import Refused
from tests.support.helpers import bj
from tests.support.world import World
from workflow.store.tables import AUDIT, OPERATORS
from workflow.usecases.operators import register_operator
from workflow.usecases.passwords import log_in, set_password

NOW = bj(2024, 10, 8, 10)
GOOD = "correct horse battery"


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords Argon2 is asked to check, in order."""
    from argon2 import PasswordHasher

    found: list[str] = []
    real = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, h, p: found.append(p) or real(self, h, p))
    return found


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


def test_five_failures_at_one_address_block_it_there_and_not_the_owner_elsewhere(engine: sa.Engine) -> None:
    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    for minute in range(5):
        with pytest.raises(Refused):
            log_in(engine, "clerk", "not the password", "10.9.9.9", NOW + timedelta(minutes=minute))
    [lock] = audit(engine, "login.lock")
    assert '"by": "pair"' in lock.details and '"10.9.9.9"' in lock.details
    with pytest.raises(Refused) as err:
        log_in(engine, "clerk", GOOD, "10.9.9.9", NOW + timedelta(minutes=10))  # the right one, still blocked there
    assert rules(err) == {"login.failed"}
    assert log_in(engine, "clerk", GOOD, "10.0.0.7", NOW + timedelta(minutes=10)).actor.login == "clerk"
    assert log_in(engine, "clerk", GOOD, "10.9.9.9", NOW + timedelta(minutes=20)).actor.login == "clerk"


def test_every_refused_login_is_answered_alike_blocked_or_not_known_or_not(engine: sa.Engine) -> None:
    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    answers = set()
    for login in ("clerk", "nobody"):
        for attempt in range(7):
            with pytest.raises(Refused) as err:
                log_in(engine, login, "not the password", "10.9.9.8", NOW + timedelta(seconds=attempt))
            answers.add(tuple((r.rule, r.message, r.field) for r in err.value.refusals))
    assert len(answers) == 1
    assert len(audit(engine, "login.lock")) == 2  # the unknown login is blocked just as the real one


def test_an_address_spraying_logins_is_stopped_before_any_password_is_checked(engine: sa.Engine,
                                                                             checked: list[str]) -> None:
    from workflow.usecases.login_limits import LIMITS

    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    for n in range(LIMITS["address"]):
        with pytest.raises(Refused):
            log_in(engine, f"guess{n}", "whatever it is", "10.6.6.6", NOW)
    assert len(checked) == LIMITS["address"]
    with pytest.raises(Refused):
        log_in(engine, "clerk", GOOD, "10.6.6.6", NOW + timedelta(minutes=1))
    assert len(checked) == LIMITS["address"]  # blocked: no hash was computed, nothing written
    assert len(audit(engine, "login.failure")) == LIMITS["address"]
    assert log_in(engine, "clerk", GOOD, "10.0.0.7", NOW + timedelta(minutes=1)).actor.login == "clerk"


def test_a_login_guessed_from_many_addresses_is_slowed_except_where_it_logs_in(engine: sa.Engine,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow.usecases.login_limits import LIMITS

    monkeypatch.setitem(LIMITS, "login", 8)  # the rule, not the number: fewer slow Argon2 checks
    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    log_in(engine, "clerk", GOOD, "10.0.0.7", NOW)  # the owner's own address, now known
    for n in range(LIMITS["login"]):
        with pytest.raises(Refused):
            log_in(engine, "clerk", "a guess", f"10.8.{n // 200}.{n % 200}", NOW + timedelta(seconds=n))
    later = NOW + timedelta(minutes=2)
    with pytest.raises(Refused):
        log_in(engine, "clerk", GOOD, "10.7.7.7", later)  # a new address: slowed for 15 minutes
    assert log_in(engine, "clerk", GOOD, "10.0.0.7", later).actor.login == "clerk"
    assert any('"by": "login"' in r.details for r in audit(engine, "login.lock"))


def test_an_administrator_lifts_a_block_and_it_is_audited(engine: sa.Engine) -> None:
    from workflow.usecases.passwords import login_blocks_for, unblock_login

    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    for attempt in range(5):
        with pytest.raises(Refused):
            log_in(engine, "clerk", "not the password", "10.9.9.9", NOW + timedelta(seconds=attempt))
    [block] = login_blocks_for(engine, "admin", NOW + timedelta(minutes=1))
    assert (block["kind"], block["login"], block["address"]) == ("pair", "clerk", "10.9.9.9")
    with pytest.raises(Refused) as err:
        unblock_login(engine, "clerk", "clerk")
    assert rules(err) == {"role.not_allowed"}
    assert unblock_login(engine, "admin", "clerk") >= 1
    assert log_in(engine, "clerk", GOOD, "10.9.9.9", NOW + timedelta(minutes=1)).actor.login == "clerk"
    [lifted] = audit(engine, "login.unlock")
    assert lifted.actor == "admin" and lifted.subject == "clerk"


def test_a_disabled_operator_cannot_log_in(engine: sa.Engine) -> None:
    from workflow.usecases.operators import set_active

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
    """Ten wrong passwords at once, each checked outside any transaction: every one is
    counted (none lost) and the login is blocked there exactly once."""
    from tests.support.concurrency import race
    from workflow.usecases.login_limits import LOGIN_THROTTLE

    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    outcomes = race(*[lambda: log_in(engine, "clerk", "wrong password!", "10.1.1.1", NOW) for _ in range(10)])
    assert all(isinstance(o, Refused) for o in outcomes), outcomes
    assert len(audit(engine, "login.failure")) == 10
    assert [r.details.count('"by": "pair"') for r in audit(engine, "login.lock")] == [1]
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.select(LOGIN_THROTTLE.c.kind, LOGIN_THROTTLE.c.failures)
                                   .where(LOGIN_THROTTLE.c.address == "10.1.1.1")).all())
    assert counts == {"pair": 5, "address": 10}  # 5 blocked the pair and started again; 10 of the address's 20


def test_no_password_is_checked_inside_a_transaction(engine: sa.Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The Argon2 check runs with no database connection checked out: a stranger's login
    holds no lock and no pooled connection while the slow hash runs."""
    from argon2 import PasswordHasher

    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    out_during: list[int] = []
    real = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify",
                        lambda self, h, p: out_during.append(engine.pool.checkedout()) or real(self, h, p))
    for login, password in (("clerk", GOOD), ("clerk", "wrong one!"), ("nobody", GOOD)):
        with contextlib.suppress(Refused):
            log_in(engine, login, password, "10.2.2.2", NOW)
    assert out_during == [0, 0, 0]


def test_an_unknown_login_costs_the_same_argon2_check_as_a_known_one(engine: sa.Engine, checked: list[str]) -> None:
    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    for login in ("clerk", "nobody"):
        with pytest.raises(Refused, match="login.failed"):
            log_in(engine, login, "wrong password!", None, NOW)
    assert checked == ["wrong password!", "wrong password!"]


def test_a_login_with_a_nul_byte_is_refused_like_any_unknown_login(engine: sa.Engine) -> None:
    World(engine)
    with pytest.raises(Refused, match="login.failed"):
        log_in(engine, "cl\x00erk", GOOD, "::1", NOW)
    assert [len(r.actor) > 0 for r in audit(engine, "login.failure")] == [True]


def test_strangers_behind_the_same_address_cannot_keep_its_known_owner_out(engine: sa.Engine) -> None:
    """The bureau's whole office may share one address: a flood of made-up logins from it
    pauses the address for strangers, not for an operator who has logged in from it."""
    from workflow.usecases.login_limits import LIMITS

    World(engine)
    set_password(engine, "clerk", "clerk", GOOD)
    set_password(engine, "reviewer", "reviewer", GOOD)
    log_in(engine, "clerk", GOOD, "10.5.5.5", NOW)  # the clerk's office address, now known
    for n in range(LIMITS["address"]):
        with pytest.raises(Refused):
            log_in(engine, f"guess{n}", "whatever it is", "10.5.5.5", NOW + timedelta(seconds=n))
    later = NOW + timedelta(minutes=1)
    assert log_in(engine, "clerk", GOOD, "10.5.5.5", later).actor.login == "clerk"
    with pytest.raises(Refused):  # never logged in from there: paused with the address
        log_in(engine, "reviewer", GOOD, "10.5.5.5", later)
