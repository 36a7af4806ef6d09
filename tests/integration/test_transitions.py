"""Every (state, event) pair on a real database: allowed where DOMAIN.md's table says."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from states.machine import Event
from states.refusals import Refused
from states.status import Status
from tests.helpers import OPINION, PAPER_ITEMS, bj, engineer, valid_id, with_id
from tests.integration.world import World

S = Status
NON_FINAL = {S.DRAFTED, S.SUBMITTED, S.ONLINE_REVIEW, S.RETURNED, S.UNIT_PUBLICITY, S.PAPER_RECEIVED}
PUBLICITY = {S.UNIT_PUBLICITY}
# Written from DOMAIN.md's table by hand, not read off the machine, so it can disagree.
EXPECTED: dict[Event, set[Status]] = {
    Event.SUBMIT: {S.DRAFTED, S.RETURNED},
    Event.START_REVIEW: {S.SUBMITTED},
    Event.RETURN_FOR_CORRECTION: {S.ONLINE_REVIEW},
    Event.APPROVE_ONLINE: {S.ONLINE_REVIEW},
    Event.START_PUBLICITY: PUBLICITY,
    Event.RECORD_OBJECTION: PUBLICITY,
    Event.RESOLVE_OBJECTION: PUBLICITY,
    Event.CLOSE_PUBLICITY: PUBLICITY,
    Event.COMPLETE_PUBLICITY: PUBLICITY,
    Event.RECEIVE_PAPER: {S.UNIT_PUBLICITY},
    Event.CONFIRM: {S.PAPER_RECEIVED},
    Event.REJECT: NON_FINAL,
    Event.WITHDRAW: {S.DRAFTED, S.SUBMITTED, S.RETURNED, S.ONLINE_REVIEW},
    Event.REPORT_FRAUD: set(Status) - {S.REVOKED},
    Event.EXPIRE: {S.DRAFTED, S.RETURNED, S.SUBMITTED, S.ONLINE_REVIEW, S.UNIT_PUBLICITY},
}
DESTINATION = {
    Event.SUBMIT: S.SUBMITTED, Event.START_REVIEW: S.ONLINE_REVIEW,
    Event.RETURN_FOR_CORRECTION: S.RETURNED, Event.APPROVE_ONLINE: S.UNIT_PUBLICITY,
    Event.RECEIVE_PAPER: S.PAPER_RECEIVED, Event.CONFIRM: S.CONFIRMED, Event.REJECT: S.REJECTED,
    Event.WITHDRAW: S.WITHDRAWN, Event.EXPIRE: S.EXPIRED,
}
IN_WINDOWS = bj(2024, 10, 25, 12)  # personal, review and paper windows all open
# (operator, time, what the command carries) that satisfy each event's guards.
HOW: dict[Event, tuple[str, Any, dict[str, Any]]] = {
    Event.SUBMIT: ("clerk", IN_WINDOWS, {}),
    Event.START_REVIEW: ("reviewer", IN_WINDOWS, {}),
    Event.RETURN_FOR_CORRECTION: ("reviewer", IN_WINDOWS, {"reason": "学信网备案表过期"}),
    Event.APPROVE_ONLINE: ("reviewer", IN_WINDOWS, {}),
    Event.START_PUBLICITY: ("water", IN_WINDOWS, {}),
    Event.RECORD_OBJECTION: ("water", IN_WINDOWS, {"reason": "有人反映"}),
    Event.RESOLVE_OBJECTION: ("water", IN_WINDOWS, {"reason": "经核实不成立", "upheld": False}),
    Event.CLOSE_PUBLICITY: ("water", IN_WINDOWS, {"opinion": OPINION}),
    Event.COMPLETE_PUBLICITY: ("service", IN_WINDOWS, {}),
    Event.RECEIVE_PAPER: ("paper", IN_WINDOWS, {"items": PAPER_ITEMS}),
    Event.CONFIRM: ("approver", IN_WINDOWS, {}),
    Event.REJECT: ("reviewer", IN_WINDOWS, {"reason": "不符合条件"}),
    Event.WITHDRAW: ("clerk", IN_WINDOWS, {}),
    Event.REPORT_FRAUD: ("approver", IN_WINDOWS, {"reason": "伪造学历"}),
    Event.EXPIRE: ("service", bj(2024, 11, 1), {}),
}
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


def test_every_state_event_pair(engine: sa.Engine) -> None:
    world = World(engine)
    records = [with_id(engineer(), valid_id(i)) for i in range(len(PAIRS))]
    cases = world.import_(records).created
    mismatches = []
    for case, (state, event) in zip(cases, PAIRS, strict=True):
        _prepare(world, case, state, event)
        login, now, extra = HOW[event]
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
