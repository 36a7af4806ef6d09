"""What the service does by itself, set-based and idempotent.

Each sweep moves every case it applies to in one transaction — the state change, a
history row per case (actor: the service) and the same outbox messages an operator's
transition writes — and running it again changes nothing. A case an operator moved a
moment before finds the sweep's WHERE clause no longer true for it.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications.outbox import Message, case_key_sql, enqueue, enqueue_select
from states.machine import SERVICE_ACTOR, Event, Role
from states.notice import Notice
from states.schedule import expiring_states, reminder_times
from states.status import Status
from workflow import history
from workflow.cases import chunks, loaded_notices
from workflow.messages import beijing, event_context, paper_items, to_person
from workflow.tables import (
    APPLICANTS,
    BANS,
    CASES,
    OBJECTIONS,
    OPERATORS,
    PUBLICITIES,
    REMINDER_RUNS,
    UNITS,
)

log = logging.getLogger("chuding.sweeps")


def campaigns(engine: sa.Engine) -> list[tuple[int, Notice]]:
    with engine.connect() as conn:
        return loaded_notices(conn)


def _people(conn: sa.Connection, case_ids: list[int]) -> dict[int, Any]:
    """Where each case's applicant is reached."""
    found: dict[int, Any] = {}
    for part in chunks(case_ids):
        query = (sa.select(CASES.c.id, APPLICANTS.c.email, APPLICANTS.c.phone)
                 .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id).where(CASES.c.id.in_(part)))
        found.update({row.id: row for row in conn.execute(query)})
    return found


def _lock_cases(conn: sa.Connection) -> None:
    """Hold other writers of cases off for the sweep's few statements, so that each sees
    the same cases (SQLite has one writer at a time already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE application_case IN SHARE ROW EXCLUSIVE MODE"))


def expire_window(engine: sa.Engine, campaign_id: int, notice: Notice, window_key: str, now: datetime) -> int:
    """Cases still waiting on a closed window expire, as of its first late second.

    Set-based: per state, the history rows, the outbox messages and the state change are
    one INSERT ... SELECT or UPDATE each, over the same cases.
    """
    window = notice.windows[window_key]
    if not window.has_closed(now):
        return 0
    at = window.first_late_second
    reason = f"{window.name}时间已于 {beijing(window.closes)} 结束"
    moved = 0
    with engine.begin() as conn:
        _lock_cases(conn)
        for state in expiring_states(window_key):
            waiting = sa.and_(CASES.c.campaign_id == campaign_id, CASES.c.state == state.value)
            history.record_select(conn, sa.select(CASES.c.id).where(waiting), Event.EXPIRE.value,
                                  state, Status.EXPIRED, at, reason)
            # The same for every case: the person's part is filled in when sending.
            context = event_context(at, window=window_key)
            # The same key an operator's expire would write.
            key = case_key_sql(CASES.c.id, CASES.c.version + 1, Event.EXPIRE.value)
            for channel, address in (("email", APPLICANTS.c.email), ("sms", APPLICANTS.c.phone)):
                rows = (sa.select(key, CASES.c.id, sa.literal(campaign_id), address)
                        .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id).where(waiting, address.is_not(None)))
                enqueue_select(conn, rows, Event.EXPIRE.value, channel, context)
            moved += conn.execute(
                sa.update(CASES).where(waiting)
                # The case changed when the rule took effect, not when the sweep ran.
                .values(state=Status.EXPIRED.value, version=CASES.c.version + 1, updated_at=at)
            ).rowcount
    return moved


def complete_publicities(engine: sa.Engine, campaign_id: int, notice: Notice, now: datetime) -> int:
    """Publicities whose working days are over with no open objection are complete."""
    open_objection = sa.exists().where(OBJECTIONS.c.case_id == PUBLICITIES.c.case_id, OBJECTIONS.c.upheld.is_(None))
    due = sa.select(PUBLICITIES.c.case_id).where(
        PUBLICITIES.c.closed_at.is_(None), PUBLICITIES.c.completed_at.is_(None), PUBLICITIES.c.completes_at <= now, ~open_objection,
    )
    with engine.begin() as conn:
        rows = conn.execute(
            sa.update(CASES)
            .where(CASES.c.campaign_id == campaign_id, CASES.c.state == Status.UNIT_PUBLICITY.value, CASES.c.id.in_(due))
            .values(version=CASES.c.version + 1,
                    updated_at=sa.select(PUBLICITIES.c.completes_at).where(PUBLICITIES.c.case_id == CASES.c.id).scalar_subquery())
            .returning(CASES.c.id, CASES.c.version)
        ).all()
        if not rows:
            return 0
        versions = {row.id: row.version for row in rows}
        completes: dict[int, datetime] = {}
        for part in chunks(list(versions)):
            conn.execute(sa.update(PUBLICITIES).where(PUBLICITIES.c.case_id.in_(part)).values(completed_at=PUBLICITIES.c.completes_at))
            rows_ = conn.execute(sa.select(PUBLICITIES.c.case_id, PUBLICITIES.c.completes_at).where(PUBLICITIES.c.case_id.in_(part)))
            completes.update({case_id: at for case_id, at in rows_})
        state = Status.UNIT_PUBLICITY.value
        history.record(conn, [history.entry(case_id, Event.COMPLETE_PUBLICITY.value, state, state,
                                            SERVICE_ACTOR, completes[case_id]) for case_id in versions])
        enqueue(conn, _publicity_messages(conn, campaign_id, versions, completes))
    return len(rows)


def _publicity_messages(conn: sa.Connection, campaign_id: int, versions: dict[int, int],
                        completes: dict[int, datetime]) -> list[Message]:
    people = _people(conn, list(versions))
    units = {}
    for part in chunks(list(versions)):
        query = (sa.select(CASES.c.id, UNITS.c.name, UNITS.c.email, UNITS.c.phone)
                 .join(UNITS, UNITS.c.id == CASES.c.unit_id).where(CASES.c.id.in_(part)))
        units.update({row.id: row for row in conn.execute(query)})
    messages = []
    for case_id, version in versions.items():
        person, unit, at = people[case_id], units[case_id], completes[case_id]
        key = f"case{case_id}/v{version}/complete_publicity"
        context = event_context(at, publicity_completes=beijing(at))
        messages += to_person(key, "complete_publicity", case_id, campaign_id, context, person.email, person.phone)
        unit_context = {**context, "greeting": unit.name}
        messages += to_person(f"{key}/unit", "reminder_publicity_complete", case_id, campaign_id, unit_context,
                              unit.email, unit.phone)
    return messages


def send_reminders(engine: sa.Engine, campaign_id: int, notice: Notice, now: datetime) -> Counter[str]:
    """Each due reminder of a campaign, written once: its run is recorded with its messages."""
    sent: Counter[str] = Counter()
    for kind, at in reminder_times(notice).items():
        if now < at:
            continue
        with engine.begin() as conn:
            done = conn.execute(sa.select(REMINDER_RUNS.c.kind).where(REMINDER_RUNS.c.campaign_id == campaign_id, REMINDER_RUNS.c.kind == kind))
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
        sa.select(CASES.c.id, CASES.c.state, CASES.c.application, APPLICANTS.c.name, APPLICANTS.c.email, APPLICANTS.c.phone)
        .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id)
        .where(CASES.c.campaign_id == campaign_id, CASES.c.state.in_([s.value for s in states]), *also)
        .order_by(CASES.c.id)
    ))


def _personal_closing(conn: sa.Connection, case_id: int, notice: Notice, at: datetime, now: datetime) -> list[Message]:
    if notice.personal.has_closed(now):
        return []  # too late to help anyone
    messages = []
    for case in _cases_in(conn, case_id, [Status.DRAFTED, Status.RETURNED]):
        messages += to_person(f"reminder/personal_closing/case{case.id}", "reminder_personal_closing",
                              case.id, case_id, event_context(at), case.email, case.phone)
    return messages


def _paper_checklist(conn: sa.Connection, case_id: int, notice: Notice, at: datetime, now: datetime) -> list[Message]:
    if notice.paper.has_closed(now):
        return []
    passed = sa.select(PUBLICITIES.c.case_id).where(PUBLICITIES.c.closed_at.is_not(None) | PUBLICITIES.c.completed_at.is_not(None))
    messages = []
    for case in _cases_in(conn, case_id, [Status.UNIT_PUBLICITY], CASES.c.id.in_(passed)):
        context = event_context(at, paper_items=paper_items(notice, json.loads(case.application)["series"]))
        messages += to_person(f"reminder/paper_checklist/case{case.id}", "reminder_paper_checklist",
                              case.id, case_id, context, case.email, case.phone)
    return messages


def _review_closing(conn: sa.Connection, case_id: int, notice: Notice, at: datetime, now: datetime) -> list[Message]:
    if notice.review.has_closed(now):
        return []
    cases = [{"case": c.id, "name": c.name, "state_label": Status(c.state).label}
             for c in _cases_in(conn, case_id, [Status.SUBMITTED, Status.ONLINE_REVIEW])]
    if not cases:
        return []
    reviewers = conn.execute(
        sa.select(OPERATORS.c.login, OPERATORS.c.name, OPERATORS.c.email, OPERATORS.c.phone)
        .where(OPERATORS.c.role == Role.COUNTY_REVIEWER.value, OPERATORS.c.active.is_(True))
    ).all()
    messages = []
    for reviewer in reviewers:
        context = event_context(at, greeting=reviewer.name, case=None, cases=cases, count=len(cases))
        messages += to_person(f"reminder/review_closing/campaign{case_id}/{reviewer.login}",
                              "reminder_review_closing", None, case_id, context, reviewer.email, reviewer.phone)
    if not messages:
        log.warning("%d case(s) will expire when the review window closes, but no active reviewer"
                    " has an e-mail or phone to be warned on", len(cases))
    return messages


REMINDERS = {
    "reminder_personal_closing": _personal_closing,
    "reminder_paper_checklist": _paper_checklist,
    "reminder_review_closing": _review_closing,
}


def end_bans(engine: sa.Engine, now: datetime) -> int:
    """Bans whose last year is over end at 00:00 on 1 January after it: recorded once."""
    with engine.begin() as conn:
        ended = conn.execute(
            sa.update(BANS).where(BANS.c.ended_at.is_(None), BANS.c.lifted_at.is_(None), BANS.c.ends_at <= now)
            .values(ended_at=BANS.c.ends_at)
            .returning(BANS.c.id, BANS.c.case_id, BANS.c.first_year, BANS.c.last_year, BANS.c.ends_at)
        ).all()
        if not ended:
            return 0
        cases = {row.id: row for row in conn.execute(
            sa.select(CASES.c.id, CASES.c.state, CASES.c.campaign_id).where(CASES.c.id.in_([b.case_id for b in ended])))}
        people = _people(conn, [b.case_id for b in ended])
        history.record(conn, [history.entry(b.case_id, "ban_ended", cases[b.case_id].state, cases[b.case_id].state,
                                            SERVICE_ACTOR, b.ends_at, f"{b.first_year}–{b.last_year} 年不得申报的期限结束")
                              for b in ended])
        messages = []
        for ban in ended:
            person = people[ban.case_id]
            context = event_context(ban.ends_at, ban_first=ban.first_year, ban_last=ban.last_year,
                                    ban_ends=beijing(ban.ends_at))
            messages += to_person(f"ban{ban.id}/ended", "ban_ended", ban.case_id, cases[ban.case_id].campaign_id,
                                  context, person.email, person.phone)
        enqueue(conn, messages)
    return len(ended)


def catch_up(engine: sa.Engine, now: datetime) -> Counter[str]:
    """Everything due by ``now``: what the service runs at each moment and after downtime."""
    counts: Counter[str] = Counter()
    for campaign_id, notice in campaigns(engine):
        for key in notice.windows:
            counts[f"expired_{key}"] += expire_window(engine, campaign_id, notice, key, now)
        counts["publicity_completed"] += complete_publicities(engine, campaign_id, notice, now)
        counts.update(send_reminders(engine, campaign_id, notice, now))
    counts["bans_ended"] += end_bans(engine, now)
    return +counts  # only what happened
