"""Reminders before a window closes: each written once, recorded with its run."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications.outbox import Message, enqueue, reminder_key
from states.notice import Notice
from states.schedule import reminder_times
from states.status import Status
from states.values import Role
from workflow.store.tables import (
    APPLICANTS,
    CASES,
    OPERATORS,
    PUBLICITIES,
    REMINDER_RUNS,
)
from workflow.usecases.messages import event_context, to_person

log = logging.getLogger("chuding.sweeps")


def send_reminders(engine: sa.Engine, campaign_id: int, notice: Notice, now: datetime) -> Counter[str]:
    """Each due reminder of a campaign, written once: its run is recorded with its messages."""
    sent: Counter[str] = Counter()
    for kind, at in reminder_times(notice).items():
        if now < at:
            continue
        with engine.begin() as conn:
            done = conn.execute(sa.select(REMINDER_RUNS.c.kind)
                                .where(REMINDER_RUNS.c.campaign_id == campaign_id, REMINDER_RUNS.c.kind == kind))
            if done.first():
                continue
            messages = REMINDERS[kind](conn, campaign_id, notice, at, now)
            enqueue(conn, messages)
            conn.execute(sa.insert(REMINDER_RUNS), {"campaign_id": campaign_id, "kind": kind,
                                          "messages": len(messages), "done_at": now})
            sent[kind] = len(messages)
    return sent


def _cases_in(conn: sa.Connection, campaign_id: int, states: list[Status],
              *also: sa.ColumnElement[bool]) -> list[Any]:
    return list(conn.execute(
        sa.select(CASES.c.id, CASES.c.state, CASES.c.application,
                  APPLICANTS.c.name, APPLICANTS.c.email, APPLICANTS.c.phone)
        .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id)
        .where(CASES.c.campaign_id == campaign_id, CASES.c.state.in_([s.value for s in states]), *also)
        .order_by(CASES.c.id)
    ))


def _personal_closing(conn: sa.Connection, campaign_id: int, notice: Notice, at: datetime,
                      now: datetime) -> list[Message]:
    if notice.personal.has_closed(now):
        return []  # too late to help anyone
    messages = []
    for case in _cases_in(conn, campaign_id, [Status.DRAFTED, Status.RETURNED]):
        messages += to_person(reminder_key("personal_closing", f"case{case.id}"), "reminder_personal_closing",
                              case.id, campaign_id, event_context(at), case.email, case.phone)
    return messages


def _paper_checklist(conn: sa.Connection, campaign_id: int, notice: Notice, at: datetime,
                     now: datetime) -> list[Message]:
    if notice.paper.has_closed(now):
        return []
    over = PUBLICITIES.c.closed_at.is_not(None) | PUBLICITIES.c.completed_at.is_not(None)
    passed = sa.select(PUBLICITIES.c.case_id).where(over)
    messages = []
    for case in _cases_in(conn, campaign_id, [Status.UNIT_PUBLICITY], CASES.c.id.in_(passed)):
        messages += to_person(reminder_key("paper_checklist", f"case{case.id}"), "reminder_paper_checklist",
                              case.id, campaign_id, event_context(at), case.email, case.phone)
    return messages


def _review_closing(conn: sa.Connection, campaign_id: int, notice: Notice, at: datetime,
                    now: datetime) -> list[Message]:
    if notice.review.has_closed(now):
        return []
    cases = [{"case": c.id, "name": c.name, "state_label": Status(c.state).label}
             for c in _cases_in(conn, campaign_id, [Status.SUBMITTED, Status.ONLINE_REVIEW])]
    if not cases:
        return []
    reviewers = conn.execute(
        sa.select(OPERATORS.c.login, OPERATORS.c.name, OPERATORS.c.email, OPERATORS.c.phone)
        .where(OPERATORS.c.role == Role.COUNTY_REVIEWER.value, OPERATORS.c.active.is_(True))
    ).all()
    messages = []
    for reviewer in reviewers:
        context = event_context(at, greeting=reviewer.name, case=None, cases=cases, count=len(cases))
        messages += to_person(reminder_key("review_closing", f"campaign{campaign_id}/{reviewer.login}"),
                              "reminder_review_closing", None, campaign_id, context, reviewer.email, reviewer.phone)
    if not messages:
        log.warning("%d case(s) will expire when the review window closes, but no active reviewer"
                    " has an e-mail or phone to be warned on", len(cases))
    return messages


REMINDERS = {
    "reminder_personal_closing": _personal_closing,
    "reminder_paper_checklist": _paper_checklist,
    "reminder_review_closing": _review_closing,
}
