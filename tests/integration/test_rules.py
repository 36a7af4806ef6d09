"""The notice's rules through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from states.values import Event
from tests.support.helpers import OPINION, PAPER_ITEMS, bj, engineer, notice_text_for, with_id
from tests.support.rules import rules_of, to_publicity
from tests.support.world import World
from workflow.store.tables import BANS
from workflow.usecases.campaigns import load_notice


def test_submission_window_to_the_second(engine: sa.Engine) -> None:
    world = World(engine)
    on_time, late = world.import_([engineer(), with_id(engineer(), "65282219980808010X")]).created
    world.run(on_time, Event.SUBMIT, "clerk", bj(2024, 10, 30, 18, 0, 0))
    assert world.state(on_time) == "submitted"
    assert rules_of(lambda: world.run(late, Event.SUBMIT, "clerk", bj(2024, 10, 30, 18, 0, 1))) == {
        "window.personal"
    }
    assert world.state(late) == "drafted"


def test_every_refusal_reason_at_once(engine: sa.Engine) -> None:
    world = World(engine)
    bad = engineer()
    bad["unit"]["code"] = "LT-JG-01"
    bad["unit"]["type"] = "机关"
    bad["materials"].pop("photo")
    bad["work_summary"] = "太短"
    case = world.import_([bad]).created[0]
    assert rules_of(lambda: world.run(case, Event.SUBMIT, "reviewer", bj(2024, 11, 1))) == {
        "role.not_allowed", "window.personal", "eligibility.unit_type",
        "materials.missing", "materials.work_summary",
    }


@pytest.mark.parametrize(("start", "not_before", "complete_at"), [
    (bj(2024, 9, 30, 9), bj(2024, 10, 11, 23, 59, 59), bj(2024, 10, 12)),
    (bj(2024, 10, 8, 9), bj(2024, 10, 12, 23, 59, 59), bj(2024, 10, 13)),
])
def test_publicity_across_national_day(engine: sa.Engine, start, not_before, complete_at) -> None:  # type: ignore[no-untyped-def]
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.force_state(case, "unit_publicity")  # the 2024 review window opens only on 10-08
    started = world.run(case, Event.START_PUBLICITY, "water", start)
    assert started.details["completes_at"] == complete_at.isoformat()
    close = lambda now: world.run(case, Event.CLOSE_PUBLICITY, "water", now, opinion=OPINION)  # noqa: E731
    assert rules_of(lambda: close(not_before)) == {"publicity.period"}
    close(complete_at)
    assert world.history(case)[-1].event == "close_publicity"


def test_objections_must_be_resolved_and_an_upheld_one_lets_the_unit_reject(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    to_publicity(world, case)
    world.run(case, Event.START_PUBLICITY, "water", bj(2024, 10, 9))
    world.run(case, Event.RECORD_OBJECTION, "water", bj(2024, 10, 10), reason="学历存疑")
    assert rules_of(lambda: world.run(case, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 20), opinion=OPINION)) == {
        "publicity.objection_open"
    }
    assert rules_of(lambda: world.run(case, Event.REJECT, "water", bj(2024, 10, 20), reason="异议")) == {
        "reject.unit_without_objection"
    }
    world.run(case, Event.RESOLVE_OBJECTION, "water", bj(2024, 10, 11), reason="查实", upheld=True)
    world.run(case, Event.REJECT, "water", bj(2024, 10, 20), reason="公示异议成立")
    assert world.state(case) == "rejected"


def test_paper_needs_a_passed_publicity_and_the_whole_checklist(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    to_publicity(world, case)
    assert rules_of(lambda: world.run(case, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 25), items=PAPER_ITEMS,
              form_code=world.form_code(case))) == {
        "publicity.not_passed"
    }
    world.run(case, Event.START_PUBLICITY, "water", bj(2024, 10, 9))
    world.run(case, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    partial = PAPER_ITEMS - {"evaluation_form", "publicity"}
    assert rules_of(lambda: world.run(case, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 25), items=partial,
              form_code=world.form_code(case))) == {
        "paper.missing"
    }
    assert world.count("material WHERE kind = 'paper'") == 0  # nothing half-recorded
    world.run(case, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 31, 18), items=PAPER_ITEMS,
              form_code=world.form_code(case))
    world.run(case, Event.CONFIRM, "approver", bj(2024, 11, 5))
    assert world.state(case) == "confirmed"


def _campaign(world: World, tmp_path: Path, year: int) -> None:
    path = tmp_path / f"luntai-{year}.toml"
    path.write_text(notice_text_for(year), encoding="utf-8")
    with world.engine.begin() as conn:
        load_notice(conn, path)


def test_fraud_after_confirmation_revokes_and_bans_2025_to_2027(engine: sa.Engine, tmp_path: Path) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    to_publicity(world, case)
    world.run(case, Event.START_PUBLICITY, "water", bj(2024, 10, 9))
    world.run(case, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    world.run(case, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 25), items=PAPER_ITEMS,
              form_code=world.form_code(case))
    world.run(case, Event.CONFIRM, "approver", bj(2024, 11, 5))
    assert rules_of(lambda: world.run(case, Event.REPORT_FRAUD, "approver", bj(2024, 12, 1))) == {"reason.missing"}
    world.run(case, Event.REPORT_FRAUD, "approver", bj(2024, 12, 1), reason="伪造学信网备案表")
    assert world.state(case) == "revoked"
    with engine.connect() as conn:
        ban = conn.execute(sa.select(BANS)).one()
    assert (ban.first_year, ban.last_year, ban.ends_at) == (2025, 2027, bj(2028, 1, 1))

    for year, banned in ((2025, True), (2027, True), (2028, False)):
        _campaign(world, tmp_path, year)
        record = {**engineer(), "campaign": f"luntai-{year}"}
        later = world.import_([record], now=bj(year, 9, 28)).created[0]
        refused = rules_of(lambda later=later, year=year: world.run(later, Event.SUBMIT, "clerk", bj(year, 9, 28)))
        assert ("eligibility.banned" in refused) is banned, year
