"""``decide`` over every state × event pair, on plain values: the process table checked
against DOMAIN.md's in milliseconds (tests/integration/test_transitions.py does the same
through a real database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from states.application import Unit
from states.machine import decide, prospects
from states.process import PROCESS
from states.refusals import Refused
from states.status import Status
from states.values import SERVICE_ACTOR, Actor, Case, Command, Event, Publicity, Role
from tests.expected_process import DESTINATION, EXPECTED, FORM_CODE, HOW, IN_WINDOWS, S
from tests.helpers import NOTICE, bj, engineer
from workflow.inputs.records import ApplicationRecord

UNIT = Unit("LT-SL-01", "轮台县水利站", "县级", "事业单位")
APPLICATION = ApplicationRecord.model_validate(engineer()).to_domain()
ACTORS = {
    "clerk": Actor("clerk", Role.APPLICANT_CLERK), "reviewer": Actor("reviewer", Role.COUNTY_REVIEWER),
    "water": Actor("water", Role.UNIT_OPERATOR, "LT-SL-01"), "paper": Actor("paper", Role.COUNTY_CLERK),
    "approver": Actor("approver", Role.COUNTY_APPROVER), "service": SERVICE_ACTOR,
}
STARTED, COMPLETES = bj(2024, 10, 8, 10), bj(2024, 10, 13)


def _publicity(event: Event) -> Publicity:
    """The publicity each event needs, as the database test prepares it."""
    if event in (Event.RECORD_OBJECTION, Event.CLOSE_PUBLICITY, Event.COMPLETE_PUBLICITY):
        return Publicity(STARTED, COMPLETES)
    if event is Event.RESOLVE_OBJECTION:
        return Publicity(STARTED, COMPLETES, open_objections=1)
    if event is Event.RECEIVE_PAPER:
        return Publicity(STARTED, COMPLETES, closed_at=COMPLETES)
    return Publicity()


def _expected_target(state: Status, event: Event) -> Status:
    if event is Event.REPORT_FRAUD:
        return S.REVOKED if state is S.CONFIRMED else S.REJECTED
    return DESTINATION.get(event, state)


@pytest.mark.parametrize("event", list(Event))
def test_every_state_for_each_event(event: Event) -> None:
    login, now, said = HOW[event]
    for state in Status:
        case = Case(state, APPLICATION, UNIT, NOTICE, _publicity(event), review_form_code=FORM_CODE)
        try:
            target = decide(case, Command(event, ACTORS[login], now, **said))
        except Refused as err:
            assert state not in EXPECTED[event], (state, event, err.refusals)
            assert {r.rule for r in err.refusals} == {"state.not_allowed"}, (state, event)
            continue
        assert state in EXPECTED[event], (state, event)
        assert target is _expected_target(state, event), (state, event)


def test_every_event_has_one_row_and_a_role() -> None:
    assert set(PROCESS) == set(Event)
    assert all(step.roles for step in PROCESS.values())


def test_prospects_name_the_window_closing_and_what_blocks() -> None:
    case = Case(S.SUBMITTED, APPLICATION, UNIT, NOTICE)
    late = NOTICE.review.closes + timedelta(seconds=1)
    [review] = [p for p in prospects(case, late) if p.event is Event.START_REVIEW]
    assert review.until == NOTICE.review.closes and review.roles == {Role.COUNTY_REVIEWER}
    assert [r.rule for r in review.blocked_by] == ["window.review"]
    assert [p.event for p in prospects(case, IN_WINDOWS) if not p.planned] == [
        Event.REJECT, Event.WITHDRAW, Event.REPORT_FRAUD, Event.EXPIRE]
