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
from tests.support.domain import every_file
from tests.support.expected_process import DESTINATION, EXPECTED, FORM_CODE, HOW, IN_WINDOWS, S
from tests.support.helpers import NOTICE, bj, engineer
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
        case = Case(state, APPLICATION, UNIT, NOTICE, _publicity(event), review_form_code=FORM_CODE,
                    files=every_file(APPLICATION))
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


def test_the_window_maps_are_read_off_the_process_table() -> None:
    from states.process import EXPIRY_WINDOW
    from states.schedule import REMINDER_WINDOW, deadline_of

    # A case expires when the window of the work it waits for closes.
    assert EXPIRY_WINDOW == {Status.DRAFTED: "personal", Status.RETURNED: "personal", Status.SUBMITTED: "review",
                             Status.ONLINE_REVIEW: "review", Status.UNIT_PUBLICITY: "paper"}
    # The deadline a message names: the close of the window the case now waits in.
    said = {kind: deadline_of(kind) for kind in ("import", "amend", "return_for_correction", "submit",
                                                 "start_review", "approve_online", "close_publicity",
                                                 "start_publicity", "confirm", "reject", "expire", "ban_ended")}
    assert said == {"import": "personal_closes", "amend": "personal_closes",
                    "return_for_correction": "personal_closes", "submit": "review_closes",
                    "start_review": "review_closes", "approve_online": "paper_closes",
                    "close_publicity": "paper_closes", "start_publicity": "publicity_completes",
                    "confirm": None, "reject": None, "expire": None, "ban_ended": None}
    assert {deadline_of(kind) for kind in REMINDER_WINDOW} == {"personal_closes", "review_closes", "paper_closes"}


def test_one_table_says_who_may_do_what() -> None:
    from states.permissions import Act, may
    from states.values import Role

    assert may(Role.APPLICANT_CLERK, "import") and not may(Role.UNIT_OPERATOR, Act.IMPORT)
    assert may(Role.COUNTY_CLERK, "keep_outbox") and not may(Role.COUNTY_REVIEWER, "keep_outbox")
    assert may(Role.UNIT_OPERATOR, "start_publicity") and not may(Role.COUNTY_CLERK, "approve_online")
    assert [r for r in Role if may(r, Act.ADMINISTER)] == [Role.ADMINISTRATOR]
