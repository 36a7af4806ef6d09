"""DOMAIN.md's table of which event may happen in which state, written by hand (not read
off the machine, so that the two can disagree), and how to satisfy each event's guards."""

from __future__ import annotations

from typing import Any

from states.status import Status
from states.values import Event
from tests.support.helpers import OPINION, PAPER_ITEMS, bj

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
# The code printed on the 评审表 of the case (the database test gives each case its own).
FORM_CODE = "ABCD-EFGH"

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
    Event.RECEIVE_PAPER: ("paper", IN_WINDOWS, {"items": PAPER_ITEMS, "form_code": FORM_CODE}),
    Event.CONFIRM: ("approver", IN_WINDOWS, {}),
    Event.REJECT: ("reviewer", IN_WINDOWS, {"reason": "不符合条件"}),
    Event.WITHDRAW: ("clerk", IN_WINDOWS, {}),
    Event.REPORT_FRAUD: ("approver", IN_WINDOWS, {"reason": "伪造学历"}),
    Event.EXPIRE: ("service", bj(2024, 11, 1), {}),
}
