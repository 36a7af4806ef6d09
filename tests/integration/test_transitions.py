"""Every (state, event) pair on a real database: allowed where DOMAIN.md's table says."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from states.refusals import Refused
from states.status import Status
from states.values import Event
from tests.support.expected_process import DESTINATION, EXPECTED, HOW, IN_WINDOWS, S
from tests.support.helpers import bj, engineer, valid_id, with_id
from tests.support.world import World

PAIRS = [(state, event) for event in Event for state in Status]


def _prepare(world: World, case: int, state: Status, event: Event) -> None:
    world.force_state(case, state.value)
    started, completes = bj(2024, 10, 8, 10), bj(2024, 10, 13)
    if event in (Event.RECORD_OBJECTION, Event.CLOSE_PUBLICITY, Event.COMPLETE_PUBLICITY):
        world.start_publicity_row(case, started, completes)
    elif event is Event.RESOLVE_OBJECTION:
        world.start_publicity_row(case, started, completes, open_objection=True)
    elif event is Event.RECEIVE_PAPER:
        world.start_publicity_row(case, started, completes, closed=completes)
        world.approval_row(case, started)


def test_every_state_event_pair(engine: sa.Engine) -> None:
    world = World(engine)
    records = [with_id(engineer(), valid_id(i)) for i in range(len(PAIRS))]
    cases = world.import_(records).created
    mismatches = []
    for case, (state, event) in zip(cases, PAIRS, strict=True):
        _prepare(world, case, state, event)
        login, now, extra = HOW[event]
        if "form_code" in extra:
            extra = {**extra, "form_code": world.form_code(case)}
        before = (world.version(case), len(world.history(case)))
        try:
            done = world.run(case, event, login, now, **extra)
            allowed, rules = True, set()
        except Refused as err:
            allowed, rules = False, {r.rule for r in err.refusals}
        if allowed != (state in EXPECTED[event]):
            mismatches.append((state.value, event.value, allowed, rules))
            continue
        if allowed:
            expected_to = DESTINATION.get(event, state)
            if event is Event.REPORT_FRAUD:
                expected_to = S.REVOKED if state is S.CONFIRMED else S.REJECTED
            assert done.to_state is expected_to, (state, event)
            assert world.state(case) == expected_to.value
            assert world.history(case)[-1].event == event.value
        else:
            assert rules == {"state.not_allowed"}, (state, event, rules)
            assert (world.version(case), len(world.history(case))) == before
    assert mismatches == []


@pytest.mark.parametrize("event", [Event.START_REVIEW, Event.CONFIRM])
def test_refused_event_writes_nothing(engine: sa.Engine, event: Event) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    with pytest.raises(Refused):
        world.run(case, event, "approver", IN_WINDOWS)
    assert world.state(case) == "drafted" and world.version(case) == 1
    assert [h.event for h in world.history(case)] == ["import"]
