"""Races and careless input that once broke a promise: each test failed before its fix."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from notifications.outbox import OUTBOX
from states.refusals import Refused
from states.text import TYPED_TEXT_LIMIT
from states.values import Event
from tests.support.concurrency import race
from tests.support.helpers import ID_A, bj, engineer, valid_id, with_id
from tests.support.world import World
from workflow.errors import Conflict, ImportRefused
from workflow.usecases.bans import lift_ban
from workflow.usecases.campaigns import load_notice
from workflow.usecases.operators import add_operator, set_active

FULL_WIDTH_A = ID_A.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def test_amend_and_submit_at_once_never_both_succeed(pg_engine: sa.Engine) -> None:
    world = World(pg_engine)
    base = engineer()
    changed = json.loads(json.dumps(base))
    changed["work_summary"] = "修改后的工作总结"
    for round_ in range(50):
        person = valid_id(round_)
        case = world.import_([with_id(base, person, f"申报人{round_}")], now=bj(2024, 9, 28)).created[0]
        before = world.version(case)
        amend, submit = race(
            lambda p=person, r=round_: world.import_([with_id(changed, p, f"申报人{r}")], now=bj(2024, 10, 8)),
            lambda c=case: world.run(c, Event.SUBMIT, "clerk", bj(2024, 10, 8)),
        )
        won = [r for r in (amend, submit) if not isinstance(r, Exception)]
        assert len(won) == 1, (round_, amend, submit)
        lost = amend if isinstance(amend, Exception) else submit
        assert isinstance(lost, Conflict | Refused | ImportRefused), lost
        assert world.version(case) == before + 1
        if won[0] is submit:
            assert world.state(case) == "submitted"
            with pg_engine.connect() as conn:
                stored = conn.execute(sa.text("SELECT application FROM application_case WHERE id = :c"),
                                      {"c": case}).scalar_one()
            assert "修改后的工作总结" not in stored


def test_an_amend_of_a_submitted_case_is_refused_and_changes_nothing(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    with pytest.raises(ImportRefused, match="only a drafted or returned application"):
        world.import_([engineer()], now=bj(2024, 10, 9))
    assert world.version(case) == 2 and world.state(case) == "submitted"


def _banned(world: World) -> int:
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.REPORT_FRAUD, "approver", bj(2024, 10, 9), reason="伪造学历证书")
    return case


def test_concurrent_lifts_of_one_ban_exactly_one_succeeds(engine: sa.Engine) -> None:
    world = World(engine)
    case = _banned(world)
    outcomes = race(*[lambda i=i: lift_ban(engine, 1, "admin", f"误录 {i}", bj(2024, 10, 10)) for i in range(8)])
    winners = [i for i, r in enumerate(outcomes) if r is None]
    assert len(winners) == 1, outcomes
    losers = [r for r in outcomes if r is not None]
    assert all(isinstance(r, Refused) and r.refusals[0].rule == "ban.lifted" for r in losers), losers
    with engine.connect() as conn:
        reason = conn.execute(sa.text("SELECT lift_reason FROM ban WHERE id = 1")).scalar_one()
        lifted_messages = conn.execute(sa.select(OUTBOX.c.kind).where(OUTBOX.c.kind == "ban_lifted")).all()
    assert reason == f"误录 {winners[0]}"
    [row] = [h for h in world.history(case) if h.event == "ban_lifted"]
    assert row.reason == reason and row.actor == "admin"
    assert len(lifted_messages) == 2  # e-mail and SMS to the person


def test_the_last_active_administrator_cannot_be_disabled(engine: sa.Engine) -> None:
    World(engine)
    with engine.begin() as conn, pytest.raises(Refused, match="operator.last_administrator"):
        set_active(conn, "admin", False)
    with engine.begin() as conn:
        add_operator(conn, "admin2", "第二管理员", "administrator", None)
    # Two administrators disabling each other at the same moment: one of them stays.

    def disable(login: str) -> None:
        with engine.begin() as conn:
            set_active(conn, login, False)

    outcomes = race(lambda: disable("admin"), lambda: disable("admin2"))
    assert sum(r is None for r in outcomes) == 1, outcomes
    with engine.connect() as conn:
        active = conn.execute(sa.text(
            "SELECT count(*) FROM operator WHERE role = 'administrator' AND active")).scalar_one()
    assert active == 1


def test_the_login_service_is_reserved(engine: sa.Engine) -> None:
    World(engine)
    for login in ("service", "Service"):
        with engine.begin() as conn, pytest.raises(Refused, match="operator.reserved"):
            add_operator(conn, login, "冒名", "county_reviewer", None)


def test_a_full_width_copy_of_a_banned_id_is_the_same_person_and_is_refused(engine: sa.Engine) -> None:
    world = World(engine)
    _banned(world)
    from tests.support.helpers import notice_text_for

    next_year = Path(tempfile.mkdtemp()) / "luntai-2025.toml"
    next_year.write_text(notice_text_for(2025), encoding="utf-8")
    with engine.begin() as conn:
        load_notice(conn, next_year)
    record = with_id(engineer(), FULL_WIDTH_A, engineer()["applicant"]["name"])
    record["campaign"] = "luntai-2025"
    case = world.import_([record], now=bj(2025, 9, 28)).created[0]
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT id_number FROM applicant")).scalars().all()
    assert stored == [ID_A]  # one person, stored once, in its canonical form
    with pytest.raises(Refused) as err:
        world.run(case, Event.SUBMIT, "clerk", bj(2025, 10, 8))
    assert "eligibility.banned" in {r.rule for r in err.value.refusals}


@pytest.mark.parametrize("where, value", [
    ("applicant.name", "艾力\x1b[31m"),
    ("applicant.name", "艾力\x85"),
    ("educations[0].school", "学校\x00"),
])
def test_control_characters_are_refused_at_import(engine: sa.Engine, where: str, value: str) -> None:
    record = engineer()
    part, _, field = where.partition(".")
    if part.startswith("educations"):
        record["educations"][0][field] = value
    else:
        record[part][field] = value
    with pytest.raises(ImportRefused) as err:
        World(engine).import_([record])
    [problem] = err.value.problems
    assert problem.field == where and "控制字符" in problem.message


def test_every_problem_of_a_record_is_reported_at_once(engine: sa.Engine) -> None:
    record = engineer()
    record["assessments"][0]["year"] = "2021"
    record["educations"][0]["level"] = "副博士"
    record["applicant"]["email"] = "a@example.cn, b@example.cn"
    with pytest.raises(ImportRefused) as err:
        World(engine).import_([record])
    fields = {p.field: p for p in err.value.problems}
    assert set(fields) == {"assessments[0].year", "educations[0].level", "applicant.email"}
    for problem in err.value.problems:
        assert "Value error" not in problem.message and "Input should" not in problem.message
        assert problem.rule.startswith("import.")


@pytest.mark.parametrize("field, value", [
    ("name", "名" * 101), ("email", "x" * 250 + "@example.cn"),
])
def test_lengths_are_refused_alike_on_both_databases(engine: sa.Engine, field: str, value: str) -> None:
    record = engineer()
    record["applicant"][field] = value
    with pytest.raises(ImportRefused) as err:
        World(engine).import_([record])
    assert [p.field for p in err.value.problems] == [f"applicant.{field}"]


def test_numbers_and_dates_are_bounded(engine: sa.Engine) -> None:
    record = engineer()
    record["continuing_education"][0]["public_hours"] = 1e308
    record["assessments"][0]["year"] = 2 ** 63
    record["work_started_on"] = "0001-01-01"
    with pytest.raises(ImportRefused) as err:
        World(engine).import_([record])
    assert {p.field for p in err.value.problems} == {
        "continuing_education[0].public_hours", "assessments[0].year", "work_started_on"}


def test_deep_nesting_and_a_bom_are_handled(engine: sa.Engine) -> None:
    from workflow.usecases.importer import import_applications

    World(engine)
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ImportRefused, match="嵌套过深"):
        import_applications(engine, deep, "deep.json", "clerk", bj(2024, 9, 28))
    text = "\ufeff" + json.dumps([engineer()], ensure_ascii=False)
    assert import_applications(engine, text, "bom.json", "clerk", bj(2024, 9, 28)).created == [1]


def test_contacts_are_stored_in_one_canonical_form(engine: sa.Engine) -> None:
    record = engineer()
    record["applicant"]["phone"] = "+86 １３８ ９９９９ ０００１"
    record["applicant"]["email"] = "Aili@Example.CN"
    World(engine).import_([record])
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT phone, email FROM applicant")).one()
    assert tuple(row) == ("13899990001", "Aili@example.cn")


@pytest.mark.parametrize("reason, rule", [("材料\x1b[2J不全", "reason.control"), ("材料\x9b不全", "reason.control"),
                                          ("x" * (TYPED_TEXT_LIMIT + 1), "reason.length")])
def test_a_reason_with_control_characters_or_absurd_length_is_refused(engine: sa.Engine, reason: str,
                                                                      rule: str) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 8, 11))
    world.run(case, Event.START_REVIEW, "reviewer", bj(2024, 10, 8, 11))
    with pytest.raises(Refused) as err:
        world.run(case, Event.RETURN_FOR_CORRECTION, "reviewer", bj(2024, 10, 9), reason=reason)
    assert [r.rule for r in err.value.refusals] == [rule]
    assert world.state(case) == "online_review"


def test_a_disabled_operator_cannot_act(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    with engine.begin() as conn:
        set_active(conn, "clerk", False)
    with pytest.raises(Refused, match="operator.unknown"):
        world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    assert world.state(case) == "drafted" and [h.event for h in world.history(case)] == ["import"]


def test_an_act_waits_for_a_disable_under_way_and_is_refused(engine: sa.Engine) -> None:
    """Who acts is settled in the act's own transaction: a disable not yet committed holds
    the operator's row (SQLite: the write lock), the act waits for it, then finds the
    operator disabled."""
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    disabling = engine.connect()
    transaction = disabling.begin()
    set_active(disabling, "clerk", False)
    threading.Timer(0.5, transaction.commit).start()
    started = time.monotonic()
    with pytest.raises(Refused, match="operator.unknown"):
        world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    assert time.monotonic() - started >= 0.4
    disabling.close()
    assert world.state(case) == "drafted"
