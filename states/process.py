"""The process as one table: a row per event, so a new event touches one place.

Each row says where the event may start and where it leads, who may cause it, what
guards it, and which window (if any) bounds it. ``states.machine`` builds the
``transitions`` machine, the roles and the deadlines from this table alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from states import guards
from states.refusals import Refusal
from states.status import Status as S
from states.values import Case, Command, Event, Guard, Role

NON_FINAL = frozenset(s for s in S if not s.is_final)
# Moves that keep the state: the steps of a running publicity.
IN_PUBLICITY = ((frozenset({S.UNIT_PUBLICITY}), None),)
UNIT, SERVICE = frozenset({Role.UNIT_OPERATOR}), frozenset({Role.SERVICE})


@dataclass(frozen=True)
class Step:
    """One event: its moves (sources → target; None keeps the state), the roles that may
    cause it, its guard, the window that bounds it, whether it is planned work (False for
    what may happen at any time: reject, withdraw, fraud, expiry), and what the person
    gives with it (``Command`` fields: reason, opinion, items, upheld)."""

    event: Event
    moves: tuple[tuple[frozenset[S], S | None], ...]
    roles: frozenset[Role]
    guard: Guard = guards.nothing
    window: str | None = None
    planned: bool = True
    takes: tuple[str, ...] = ()


def _from(*states: S) -> frozenset[S]:
    return frozenset(states)


# Every event but the service's expiry, which is derived from them below.
_WORK = [
    Step(Event.SUBMIT, ((_from(S.DRAFTED, S.RETURNED), S.SUBMITTED),),
         frozenset({Role.APPLICANT_CLERK}), guards.submit, "personal"),
    Step(Event.START_REVIEW, ((_from(S.SUBMITTED), S.ONLINE_REVIEW),),
         frozenset({Role.COUNTY_REVIEWER}), window="review"),
    Step(Event.RETURN_FOR_CORRECTION, ((_from(S.ONLINE_REVIEW), S.RETURNED),),
         frozenset({Role.COUNTY_REVIEWER}), guards.return_for_correction, "review", takes=("reason", "slots")),
    Step(Event.APPROVE_ONLINE, ((_from(S.ONLINE_REVIEW), S.UNIT_PUBLICITY),),
         frozenset({Role.COUNTY_REVIEWER}), window="review"),
    Step(Event.START_PUBLICITY, IN_PUBLICITY, UNIT, guards.start_publicity),
    Step(Event.RECORD_OBJECTION, IN_PUBLICITY, UNIT, guards.record_objection, takes=("reason",)),
    Step(Event.RESOLVE_OBJECTION, IN_PUBLICITY, UNIT, guards.resolve_objection, takes=("reason", "upheld")),
    Step(Event.CLOSE_PUBLICITY, IN_PUBLICITY, UNIT, guards.close_publicity, takes=("opinion",)),
    Step(Event.COMPLETE_PUBLICITY, IN_PUBLICITY, SERVICE, guards.complete_publicity),
    Step(Event.RECEIVE_PAPER, ((_from(S.UNIT_PUBLICITY), S.PAPER_RECEIVED),),
         frozenset({Role.COUNTY_CLERK}), guards.receive_paper, "paper", takes=("items", "form_code")),
    Step(Event.CONFIRM, ((_from(S.PAPER_RECEIVED), S.CONFIRMED),), frozenset({Role.COUNTY_APPROVER})),
    Step(Event.REJECT, ((NON_FINAL, S.REJECTED),),
         frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.UNIT_OPERATOR}), guards.reject,
         planned=False, takes=("reason",)),
    Step(Event.WITHDRAW, ((_from(S.DRAFTED, S.SUBMITTED, S.RETURNED, S.ONLINE_REVIEW), S.WITHDRAWN),),
         frozenset({Role.APPLICANT_CLERK}), planned=False, takes=("reason",)),
    Step(Event.REPORT_FRAUD, ((_from(S.CONFIRMED), S.REVOKED),
                              (frozenset(S) - _from(S.CONFIRMED, S.REVOKED), S.REJECTED)),
         frozenset({Role.COUNTY_APPROVER}), guards.report_fraud, planned=False, takes=("reason",)),
]


def _windows_of(steps: list[Step]) -> dict[S, str]:
    """Each state whose work a window bounds, and that window (one per state)."""
    found: dict[S, str] = {}
    for step in steps:
        if step.window is None:
            continue
        for sources, _ in step.moves:
            for state in sources:
                assert found.setdefault(state, step.window) == step.window, f"{state}: two windows"
    return found


# Which window's closing expires a case in each state: the window of the work it waits for.
EXPIRY_WINDOW = _windows_of(_WORK)


def _expire(case: Case, cmd: Command) -> list[Refusal]:
    window = case.notice.windows[EXPIRY_WINDOW[case.state]]
    if not window.has_closed(cmd.now):
        return [Refusal("expire.window_open", f"{window.name}时间尚未结束")]
    return []


PROCESS: dict[Event, Step] = {step.event: step for step in [
    *_WORK, Step(Event.EXPIRE, ((frozenset(EXPIRY_WINDOW), S.EXPIRED),), SERVICE, _expire, planned=False),
]}

# Read by the rest of the house; derived from the table, never written twice.
EVENT_ROLES = {event: step.roles for event, step in PROCESS.items()}
BOUNDED_BY = {event: step.window for event, step in PROCESS.items() if step.window}


def states_after(event: Event) -> frozenset[S]:
    """Where ``event`` may leave a case (a step that keeps the state leaves it where it was)."""
    return frozenset(state for sources, target in PROCESS[event].moves
                     for state in ((target,) if target is not None else sources))
