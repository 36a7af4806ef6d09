"""The process's value objects: who acts (roles, actors), what happens (events), and
what a guard reads of a case and of a command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
