"""The process: one ``transitions`` machine, defined once as data, and the guards of each event.

The machine never holds a case. A command is run on a small plain object
(``_Attempt``) through ``MACHINE.events[name].trigger``; the single condition on
every transition runs the event's guards and keeps *all* their reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import cast

from transitions import Machine, MachineError
from transitions.core import EventData

from states.application import Application, Unit
from states.eligibility import refusals as eligibility_refusals
from states.materials import online_refusals, paper_refusals, stale_records, unknown_paper_items
from states.notice import Notice, Window
from states.refusals import Refusal, Refused, reason_required
from states.status import Status
from states.text import control_character


class Role(StrEnum):
    """What an operator may do: each event names the roles that may cause it."""

    APPLICANT_CLERK = "applicant_clerk"  # acts for the applicant
    COUNTY_REVIEWER = "county_reviewer"
    COUNTY_CLERK = "county_clerk"
    COUNTY_APPROVER = "county_approver"
    UNIT_OPERATOR = "unit_operator"  # of one unit
    ADMINISTRATOR = "administrator"
    SERVICE = "service"  # the background service itself


class Event(StrEnum):
    """Something that happens to a case: caused by an operator's command or by the service."""

    SUBMIT = "submit"
    START_REVIEW = "start_review"
    RETURN_FOR_CORRECTION = "return_for_correction"
    APPROVE_ONLINE = "approve_online"
    START_PUBLICITY = "start_publicity"
    RECORD_OBJECTION = "record_objection"
    RESOLVE_OBJECTION = "resolve_objection"
    CLOSE_PUBLICITY = "close_publicity"
    COMPLETE_PUBLICITY = "complete_publicity"  # the service, when the period is over
    RECEIVE_PAPER = "receive_paper"
    CONFIRM = "confirm"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    REPORT_FRAUD = "report_fraud"
    EXPIRE = "expire"


S = Status
NON_FINAL = [s.value for s in Status if not s.is_final]
PUBLICITY_EVENTS = (
    Event.START_PUBLICITY, Event.RECORD_OBJECTION, Event.RESOLVE_OBJECTION, Event.CLOSE_PUBLICITY
)

# The process as data: (event, from, to). dest None keeps the state (publicity steps).
TRANSITIONS: list[dict[str, object]] = [
    {"trigger": Event.SUBMIT, "source": [S.DRAFTED, S.RETURNED], "dest": S.SUBMITTED},
    {"trigger": Event.START_REVIEW, "source": S.SUBMITTED, "dest": S.ONLINE_REVIEW},
    {"trigger": Event.RETURN_FOR_CORRECTION, "source": S.ONLINE_REVIEW, "dest": S.RETURNED},
    {"trigger": Event.APPROVE_ONLINE, "source": S.ONLINE_REVIEW, "dest": S.UNIT_PUBLICITY},
    {"trigger": Event.RECEIVE_PAPER, "source": S.UNIT_PUBLICITY, "dest": S.PAPER_RECEIVED},
    {"trigger": Event.CONFIRM, "source": S.PAPER_RECEIVED, "dest": S.CONFIRMED},
    {"trigger": Event.REJECT, "source": NON_FINAL, "dest": S.REJECTED},
    {
        "trigger": Event.WITHDRAW,
        "source": [S.DRAFTED, S.SUBMITTED, S.RETURNED, S.ONLINE_REVIEW],
        "dest": S.WITHDRAWN,
    },
    {"trigger": Event.REPORT_FRAUD, "source": S.CONFIRMED, "dest": S.REVOKED},
    {
        "trigger": Event.REPORT_FRAUD,
        "source": [s for s in Status if s not in (S.CONFIRMED, S.REVOKED)],
        "dest": S.REJECTED,
    },
    {
        "trigger": Event.EXPIRE,
        "source": [S.DRAFTED, S.RETURNED, S.SUBMITTED, S.ONLINE_REVIEW, S.UNIT_PUBLICITY],
        "dest": S.EXPIRED,
    },
]
TRANSITIONS += [
    {"trigger": e, "source": S.UNIT_PUBLICITY, "dest": None}
    for e in (*PUBLICITY_EVENTS, Event.COMPLETE_PUBLICITY)
]

EVENT_ROLES: dict[Event, frozenset[Role]] = {
    Event.SUBMIT: frozenset({Role.APPLICANT_CLERK}),
    Event.START_REVIEW: frozenset({Role.COUNTY_REVIEWER}),
    Event.RETURN_FOR_CORRECTION: frozenset({Role.COUNTY_REVIEWER}),
    Event.APPROVE_ONLINE: frozenset({Role.COUNTY_REVIEWER}),
    **{e: frozenset({Role.UNIT_OPERATOR}) for e in PUBLICITY_EVENTS},
    Event.COMPLETE_PUBLICITY: frozenset({Role.SERVICE}),
    Event.RECEIVE_PAPER: frozenset({Role.COUNTY_CLERK}),
    Event.CONFIRM: frozenset({Role.COUNTY_APPROVER}),
    Event.REJECT: frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.UNIT_OPERATOR}),
    Event.WITHDRAW: frozenset({Role.APPLICANT_CLERK}),
    Event.REPORT_FRAUD: frozenset({Role.COUNTY_APPROVER}),
    Event.EXPIRE: frozenset({Role.SERVICE}),
}

# Which window closing expires a case in each state.
# Which window bounds each operator event: the one table the guards and the deadlines read.
BOUNDED_BY = {
    Event.SUBMIT: "personal",
    Event.START_REVIEW: "review",
    Event.RETURN_FOR_CORRECTION: "review",
    Event.APPROVE_ONLINE: "review",
    Event.RECEIVE_PAPER: "paper",
}

EXPIRY_WINDOW = {
    S.DRAFTED: "personal",
    S.RETURNED: "personal",
    S.SUBMITTED: "review",
    S.ONLINE_REVIEW: "review",
    S.UNIT_PUBLICITY: "paper",
}


@dataclass(frozen=True)
class Actor:
    """Who causes an event: an operator's login and role (and unit, for a unit operator)."""

    login: str
    role: Role
    unit_code: str | None = None


SERVICE_ACTOR = Actor("service", Role.SERVICE)


@dataclass(frozen=True)
class Publicity:
    started_at: datetime | None = None
    completes_at: datetime | None = None
    closed_at: datetime | None = None
    completed_at: datetime | None = None
    open_objections: int = 0
    upheld_objections: int = 0

    @property
    def passed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True)
class Case:
    """What the guards read of one case."""

    state: Status
    application: Application
    unit: Unit
    notice: Notice
    publicity: Publicity = Publicity()
    banned_years: frozenset[int] = frozenset()
    fraud_reported: bool = False


@dataclass(frozen=True)
class Command:
    """One request to apply an event to a case: who, when, and what they typed with it."""

    event: Event
    actor: Actor
    now: datetime
    reason: str = ""
    opinion: str = ""  # close_publicity: the unit's opinion
    items: frozenset[str] = frozenset()  # receive_paper: the checklist items received
    upheld: bool | None = None  # resolve_objection: the objection's outcome


Guard = Callable[[Case, Command], list[Refusal]]


def _window(window: Window, now: datetime) -> list[Refusal]:
    refusal = window.refusal(now)
    return [refusal] if refusal else []


def _in_window(case: Case, cmd: Command) -> list[Refusal]:
    """Refused outside the window that bounds the event (``BOUNDED_BY``)."""
    return _window(case.notice.windows[BOUNDED_BY[cmd.event]], cmd.now)


def _reason(cmd: Command) -> list[Refusal]:
    return reason_required(cmd.reason)


def _submit(case: Case, cmd: Command) -> list[Refusal]:
    app, notice = case.application, case.notice
    return (
        _in_window(case, cmd)
        + eligibility_refusals(app, case.unit, notice, set(case.banned_years))
        + online_refusals(app, notice)
    )


def _review(case: Case, cmd: Command) -> list[Refusal]:
    return _in_window(case, cmd)


def _return(case: Case, cmd: Command) -> list[Refusal]:
    return _in_window(case, cmd) + _reason(cmd)


def _start_publicity(case: Case, cmd: Command) -> list[Refusal]:
    if case.publicity.started_at is not None:
        return [Refusal("publicity.started", "公示已开始，不能重复开始")]
    return []


def _publicity_running(publicity: Publicity) -> list[Refusal]:
    if publicity.started_at is None:
        return [Refusal("publicity.not_started", "公示尚未开始")]
    if publicity.passed:
        return [Refusal("publicity.closed", "公示已结束")]
    return []


def _record_objection(case: Case, cmd: Command) -> list[Refusal]:
    return _publicity_running(case.publicity) + _reason(cmd)


def _resolve_objection(case: Case, cmd: Command) -> list[Refusal]:
    found = _publicity_running(case.publicity)
    if case.publicity.open_objections == 0:
        found.append(Refusal("publicity.no_objection", "没有待处理的异议"))
    if cmd.upheld is None:
        found.append(Refusal("objection.outcome", "须说明异议成立或不成立", "upheld"))
    return found + _reason(cmd)


def _close_publicity(case: Case, cmd: Command) -> list[Refusal]:
    p, notice = case.publicity, case.notice
    found = _publicity_running(p)
    if p.completes_at is not None and cmd.now < p.completes_at:
        found.append(Refusal(
            "publicity.period",
            f"公示期不少于 {notice.publicity_working_days} 个工作日，"
            f"{p.completes_at.astimezone(notice.timezone):%Y-%m-%d %H:%M}（北京时间）后方可结束",
        ))
    if p.open_objections:
        found.append(Refusal("publicity.objection_open", f"有 {p.open_objections} 条异议尚未处理"))
    if p.upheld_objections:
        found.append(Refusal("publicity.objection_upheld", "异议成立，不能推荐，应不予确认"))
    if cmd.opinion != notice.unit_opinion_text:
        found.append(Refusal(
            "publicity.opinion", f"单位审核意见须为原文：“{notice.unit_opinion_text}”", "opinion"
        ))
    return found


def complete_publicity_refusals(publicity: Publicity, now: datetime) -> list[Refusal]:
    """The period is over with no open objection: the sweep's rule too."""
    found = _publicity_running(publicity)
    if publicity.completed_at is not None:
        found.append(Refusal("publicity.completed", "公示已期满"))
    if publicity.completes_at is not None and now < publicity.completes_at:
        found.append(Refusal("publicity.period", "公示期未满"))
    if publicity.open_objections:
        found.append(Refusal("publicity.objection_open", f"有 {publicity.open_objections} 条异议尚未处理"))
    return found


def _complete_publicity(case: Case, cmd: Command) -> list[Refusal]:
    return complete_publicity_refusals(case.publicity, cmd.now)


def _receive_paper(case: Case, cmd: Command) -> list[Refusal]:
    series = case.application.series
    found = _in_window(case, cmd)
    if not case.publicity.passed:
        found.append(Refusal("publicity.not_passed", "单位公示尚未结束，不能受理纸质材料"))
    found += unknown_paper_items(series, set(cmd.items), case.notice)
    found += stale_records(case.application, cmd.now.astimezone(case.notice.timezone).date(),
                           case.notice.record_max_age_months)
    return found + paper_refusals(series, set(cmd.items), case.notice)


def _reject(case: Case, cmd: Command) -> list[Refusal]:
    found = _reason(cmd)
    # A unit may reject only its own case whose publicity brought an upheld objection.
    if cmd.actor.role is Role.UNIT_OPERATOR and not case.publicity.upheld_objections:
        found.append(Refusal("reject.unit_without_objection", "单位只能在公示异议成立时不予推荐"))
    return found


def _report_fraud(case: Case, cmd: Command) -> list[Refusal]:
    found = _reason(cmd)
    if case.fraud_reported:
        found.append(Refusal("fraud.already_reported", "本申报已认定弄虚作假"))
    return found


def _expire(case: Case, cmd: Command) -> list[Refusal]:
    window = case.notice.windows[EXPIRY_WINDOW[case.state]]
    if not window.has_closed(cmd.now):
        return [Refusal("expire.window_open", f"{window.name}时间尚未结束")]
    return []


def _none(case: Case, cmd: Command) -> list[Refusal]:
    return []


GUARDS: dict[Event, Guard] = {
    Event.SUBMIT: _submit,
    Event.START_REVIEW: _review,
    Event.RETURN_FOR_CORRECTION: _return,
    Event.APPROVE_ONLINE: _review,
    Event.START_PUBLICITY: _start_publicity,
    Event.RECORD_OBJECTION: _record_objection,
    Event.RESOLVE_OBJECTION: _resolve_objection,
    Event.CLOSE_PUBLICITY: _close_publicity,
    Event.COMPLETE_PUBLICITY: _complete_publicity,
    Event.RECEIVE_PAPER: _receive_paper,
    Event.CONFIRM: _none,
    Event.REJECT: _reject,
    Event.WITHDRAW: _none,
    Event.REPORT_FRAUD: _report_fraud,
    Event.EXPIRE: _expire,
}


@dataclass
class _Attempt:
    """The plain object the machine moves; it lives for one command only."""

    state: str
    case: Case
    command: Command
    refusals: list[Refusal] = field(default_factory=list)


def _guards_pass(event_data: EventData) -> bool:
    attempt = cast(_Attempt, event_data.model)
    attempt.refusals = GUARDS[attempt.command.event](attempt.case, attempt.command)
    return not attempt.refusals


def _plain(states: object) -> object:
    """State names as plain strings: transitions names enum members by their NAME."""
    if isinstance(states, list):
        return [str(s) for s in states]
    return None if states is None else str(states)


MACHINE = Machine(
    model=None,
    states=[s.value for s in Status],
    transitions=[
        {**t, "source": _plain(t["source"]), "dest": _plain(t["dest"]), "conditions": _guards_pass}
        for t in TRANSITIONS
    ],
    initial=None,
    auto_transitions=False,
    send_event=True,
)


def actor_refusals(case: Case, cmd: Command) -> list[Refusal]:
    found = []
    if cmd.actor.role not in EVENT_ROLES[cmd.event]:
        allowed = "、".join(sorted(EVENT_ROLES[cmd.event]))
        found.append(Refusal(
            "role.not_allowed", f"角色 {cmd.actor.role} 不能执行 {cmd.event}（可执行：{allowed}）", "operator"
        ))
    if cmd.actor.role is Role.UNIT_OPERATOR and cmd.actor.unit_code != case.unit.code:
        found.append(Refusal(
            "role.other_unit", f"单位操作员只能处理本单位（{cmd.actor.unit_code}）的申报", "operator"
        ))
    return found


def sources(event: Event) -> frozenset[Status]:
    return frozenset(Status(s) for s in MACHINE.events[event].transitions)


# What an operator types with an event: a reason or an opinion is text for the record and
# for messages, so it holds no control characters and stays a readable length.
TYPED_TEXT_LIMIT = 2000


def typed_text_refusals(cmd: Command) -> list[Refusal]:
    found = []
    for name, value in (("reason", cmd.reason), ("opinion", cmd.opinion)):
        bad = control_character(value, multiline=True)
        if bad is not None:
            found.append(Refusal(f"{name}.control", f"{name} 不能含控制字符（{bad}）", name))
        if len(value) > TYPED_TEXT_LIMIT:
            found.append(Refusal(f"{name}.length", f"{name} 最多 {TYPED_TEXT_LIMIT} 个字符，实有 {len(value)} 个", name))
    return found


def decide(case: Case, cmd: Command) -> Status:
    """The state ``cmd`` leads ``case`` to, or ``Refused`` with every reason it may not."""
    found = actor_refusals(case, cmd) + typed_text_refusals(cmd)
    if case.state not in sources(cmd.event):
        found.append(Refusal(
            "state.not_allowed", f"{case.state.label}（{case.state}）状态下不能执行 {cmd.event}", "state"
        ))
        raise Refused(found)
    attempt = _Attempt(case.state.value, case, cmd)
    try:
        moved = MACHINE.events[cmd.event].trigger(attempt)
    except MachineError as err:  # only if the table and ``sources`` ever disagree
        raise Refused([*found, Refusal("state.not_allowed", str(err), "state")]) from err
    if found or not moved:
        raise Refused(found + attempt.refusals)
    return Status(attempt.state)


def allowed_events(case: Case, actor_roles: frozenset[Role] | None = None) -> list[Event]:
    """Events whose source includes the case's state (guards not run)."""
    return [
        e for e in Event
        if case.state in sources(e) and (actor_roles is None or EVENT_ROLES[e] & actor_roles)
    ]


def deadline(case: Case, event: Event) -> datetime | None:
    """Until when ``event`` can be done, where a window bounds it."""
    window = BOUNDED_BY.get(event)
    return case.notice.windows[window].closes if window else None
