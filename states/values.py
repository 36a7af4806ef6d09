"""The process's value objects: who acts (roles, actors), what happens (events), and
what a guard reads of a case and of a command."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from states.application import Application, Unit
from states.notice import Notice
from states.refusals import Refusal
from states.status import Status


class Role(StrEnum):
    """What an operator may do: each event names the roles that may cause it."""

    APPLICANT_CLERK = "applicant_clerk"  # acts for the applicant
    COUNTY_REVIEWER = "county_reviewer"
    COUNTY_CLERK = "county_clerk"
    COUNTY_APPROVER = "county_approver"
    UNIT_OPERATOR = "unit_operator"  # of one unit
    ADMINISTRATOR = "administrator"
    SERVICE = "service"  # the background service itself

    @property
    def label(self) -> str:
        """The role's name as the bureau's staff say it."""
        return ROLE_LABELS[self]


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

    @property
    def label(self) -> str:
        """The event's name as the bureau's staff say it."""
        return EVENT_LABELS[self]


ROLE_LABELS = {
    Role.APPLICANT_CLERK: "申报经办人",
    Role.COUNTY_REVIEWER: "县级审核人",
    Role.COUNTY_CLERK: "县级受理人",
    Role.COUNTY_APPROVER: "县级审批人",
    Role.UNIT_OPERATOR: "单位经办人",
    Role.ADMINISTRATOR: "系统管理员",
    Role.SERVICE: "系统",
}

EVENT_LABELS = {
    Event.SUBMIT: "提交申报",
    Event.START_REVIEW: "开始网上审核",
    Event.RETURN_FOR_CORRECTION: "退回修改",
    Event.APPROVE_ONLINE: "网上审核通过",
    Event.START_PUBLICITY: "开始单位公示",
    Event.RECORD_OBJECTION: "登记异议",
    Event.RESOLVE_OBJECTION: "处理异议",
    Event.CLOSE_PUBLICITY: "结束公示并出具单位意见",
    Event.COMPLETE_PUBLICITY: "公示期满",
    Event.RECEIVE_PAPER: "受理纸质材料",
    Event.CONFIRM: "确认职称",
    Event.REJECT: "不予确认",
    Event.WITHDRAW: "撤回申报",
    Event.REPORT_FRAUD: "认定弄虚作假",
    Event.EXPIRE: "逾期",
}


@dataclass(frozen=True)
class Actor:
    """Who causes an event: an operator's login and role (and unit, for a unit operator)."""

    login: str
    role: Role
    unit_code: str | None = None


SERVICE_ACTOR = Actor("service", Role.SERVICE)


def unit_scope(actor: Actor) -> str | None:
    """The one unit whose cases ``actor`` may see (a unit operator's own); None: all."""
    return actor.unit_code if actor.role is Role.UNIT_OPERATOR else None


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
    # The verification code printed on the 评审表 of the case's latest online approval
    # (None before any): a form printed before a return and a new approval has another.
    review_form_code: str | None = None
    # The pages the case's current files hold, by place (id_scan, diploma-1, assessment-2023…).
    files: Mapping[str, int] = field(default_factory=dict)
    # The places the latest return for correction named and that were not replaced since,
    # with the reviewer's reason for each.
    returned: Mapping[str, str] = field(default_factory=dict)


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
    form_code: str = ""  # receive_paper: the verification code printed on the 评审表
    # return_for_correction: the places at fault, each with the reviewer's reason.
    slots: tuple[tuple[str, str], ...] = ()


Guard = Callable[[Case, Command], list[Refusal]]
