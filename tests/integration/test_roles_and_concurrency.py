"""Who may act, and two commands on one case at the same moment."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

import workflow.usecases.events
from states.refusals import Refused
from states.values import Event
from tests.support.helpers import bj, engineer, teacher
from tests.support.world import World
from workflow.errors import Conflict
from workflow.store.cases import CaseNotFound


def test_another_unit_s_case_does_not_exist_for_a_unit_operator_and_history_names_the_operator(
        engine: sa.Engine) -> None:
    world = World(engine)
    case, _ = world.import_([engineer(), teacher()]).created
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    world.run(case, Event.START_REVIEW, "reviewer", bj(2024, 10, 9))
    world.run(case, Event.APPROVE_ONLINE, "reviewer", bj(2024, 10, 9))
    before = world.state(case), len(world.history(case))
    with pytest.raises(CaseNotFound):  # as in every list: nothing says the case is there
        world.run(case, Event.START_PUBLICITY, "school", bj(2024, 10, 9))
    assert (world.state(case), len(world.history(case))) == before
    world.run(case, Event.START_PUBLICITY, "water", bj(2024, 10, 9))
    last = world.history(case)[-1]
    assert (last.actor, last.role, last.effective_at) == ("water", "unit_operator", bj(2024, 10, 9))
    assert [h.actor for h in world.history(case)] == ["clerk", "clerk", "reviewer", "reviewer", "water"]


def test_a_role_that_may_not_act_is_refused(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    for login in ("clerk", "paper", "approver", "admin"):
        with pytest.raises(Refused, match="role.not_allowed"):
            world.run(case, Event.START_REVIEW, login, bj(2024, 10, 9))
    assert world.state(case) == "submitted"


def _in_review(engine: sa.Engine) -> tuple[World, int]:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    world.run(case, Event.START_REVIEW, "reviewer", bj(2024, 10, 9))
    return world, case


def _approve_and_return_at_once(world: World, case: int) -> dict[str, object]:
    """Two reviewers, one approving and one returning the case, released together."""
    start = threading.Barrier(2, timeout=30)
    outcomes: dict[str, object] = {}

    def act(name: str, event: Event, **extra: object) -> None:
        start.wait()
        try:
            outcomes[name] = world.run(case, event, "reviewer", bj(2024, 10, 10), **extra)
        except Exception as err:  # noqa: BLE001 - the test inspects what happened
            outcomes[name] = err

    threads = [threading.Thread(target=act, args=("approve", Event.APPROVE_ONLINE)),
               threading.Thread(target=act, args=("return", Event.RETURN_FOR_CORRECTION), kwargs={"reason": "缺件"})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_concurrent_events_exactly_one_wins(pg_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: both read the case before either writes; the version check lets one win.
    (On SQLite a use case holds the write lock from its first read, so the two cannot
    interleave: the next test.)"""
    world, case = _in_review(pg_engine)
    both_decided = threading.Barrier(2, timeout=30)
    decide = workflow.usecases.events.decide

    def decide_together(*args, **kwargs):  # type: ignore[no-untyped-def]
        decision = decide(*args, **kwargs)
        both_decided.wait()  # both have read version 3 before either writes
        return decision

    monkeypatch.setattr(workflow.usecases.events, "decide", decide_together)
    outcomes = _approve_and_return_at_once(world, case)
    conflicts = [o for o in outcomes.values() if isinstance(o, Conflict)]
    winners = [o for o in outcomes.values() if isinstance(o, workflow.usecases.events.Transition)]
    assert len(conflicts) == 1 and len(winners) == 1, outcomes
    assert "changed by another command" in str(conflicts[0])
    assert world.state(case) == winners[0].to_state.value
    assert world.version(case) == 4
    assert [h.event for h in world.history(case)][-2:] == ["start_review", winners[0].event.value]


def test_two_concurrent_events_on_sqlite_run_one_after_the_other(sqlite_engine: sa.Engine) -> None:
    """Whoever comes second reads the case as the first left it and is refused by its state."""
    world, case = _in_review(sqlite_engine)
    outcomes = _approve_and_return_at_once(world, case)
    refused = [o for o in outcomes.values() if isinstance(o, Refused)]
    winners = [o for o in outcomes.values() if isinstance(o, workflow.usecases.events.Transition)]
    assert len(refused) == 1 and len(winners) == 1, outcomes
    assert {r.rule for r in refused[0].refusals} == {"state.not_allowed"}
    assert world.version(case) == 4 and world.state(case) == winners[0].to_state.value
