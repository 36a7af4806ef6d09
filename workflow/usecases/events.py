"""The service layer: one handler per event, each inside one unit of work.

``run_event`` loads the case, lets ``states.machine.decide`` rule on it, then in one
transaction claims the case's version, writes the event's own effects, the history row
and the outbox rows of the messages it causes. A refusal or a conflict leaves the
database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications.outbox import Message, case_key, enqueue
from states.bans import ban_ends_at, banned_years
from states.calendar import UnknownCalendarYear, WorkingCalendar
from states.machine import decide
from states.materials import places
from states.refusals import Refusal, Refused
from states.status import Status
from states.values import Command, Event
from workflow.errors import Conflict
from workflow.store import history
from workflow.store.cases import LoadedCase, load_visible
from workflow.store.tables import BANS, CASES, MATERIALS, OBJECTIONS, PUBLICITIES
from workflow.usecases.access import Who, acting
from workflow.usecases.messages import case_context, event_extras, to_person


@dataclass(frozen=True)
class Transition:
    case_id: int
    event: Event
    from_state: Status
    to_state: Status
    effective_at: datetime
    details: dict[str, Any] = field(default_factory=dict)


Effect = Callable[[sa.Connection, LoadedCase, Command], dict[str, Any]]


def _return_for_correction(conn: sa.Connection, case: LoadedCase, cmd: Command) -> dict[str, Any]:
    """The slots at fault, each with its reason: shown at the top of the case until
    replaced, and named in the message to the applicant (``named``, in the notice's order)."""
    if not cmd.slots:
        return {}
    slots = {key: why.strip() for key, why in cmd.slots}
    view = case.view
    return {"slots": slots, "named": [f"{p.label}：{slots[p.key]}" for p in places(view.application, view.notice)
                                      if p.key in slots]}


def _start_publicity(conn: sa.Connection, case: LoadedCase, cmd: Command) -> dict[str, Any]:
    notice = case.view.notice
    try:
        completes = WorkingCalendar(notice.calendar).end_of_nth_working_day(
            cmd.now.astimezone(notice.timezone),
            notice.publicity_working_days,
            notice.publicity_start_day_counts,
        )
    except UnknownCalendarYear as err:
        raise Refused([Refusal("calendar.unknown_year", str(err))]) from None
    conn.execute(sa.insert(PUBLICITIES), {"case_id": case.id, "started_at": cmd.now, "completes_at": completes})
    return {"completes_at": completes.isoformat()}


def _record_objection(conn: sa.Connection, case: LoadedCase, cmd: Command) -> dict[str, Any]:
    objection_id = conn.execute(
        sa.insert(OBJECTIONS).returning(OBJECTIONS.c.id), {"case_id": case.id, "text": cmd.reason, "raised_at": cmd.now}
    ).scalar_one()
    return {"objection": objection_id}


def _resolve_objection(conn: sa.Connection, case: LoadedCase, cmd: Command) -> dict[str, Any]:
    oldest_open = conn.execute(
        sa.select(sa.func.min(OBJECTIONS.c.id)).where(OBJECTIONS.c.case_id == case.id, OBJECTIONS.c.upheld.is_(None))
    ).scalar_one()
    conn.execute(
        sa.update(OBJECTIONS).where(OBJECTIONS.c.id == oldest_open),
        {"upheld": cmd.upheld, "resolution": cmd.reason, "resolved_at": cmd.now},
    )
    return {"objection": oldest_open, "upheld": cmd.upheld}


def _close_publicity(conn: sa.Connection, case: LoadedCase, cmd: Command) -> dict[str, Any]:
    conn.execute(
        sa.update(PUBLICITIES).where(PUBLICITIES.c.case_id == case.id), {"closed_at": cmd.now, "opinion": cmd.opinion}
    )
    return {"opinion": cmd.opinion}


def _complete_publicity(conn: sa.Connection, case: LoadedCase, cmd: Command) -> dict[str, Any]:
    conn.execute(sa.update(PUBLICITIES).where(PUBLICITIES.c.case_id == case.id), {"completed_at": cmd.now})
    return {}


def _receive_paper(conn: sa.Connection, case: LoadedCase, cmd: Command) -> dict[str, Any]:
    items = sorted(cmd.items)
    conn.execute(
        sa.insert(MATERIALS),
        [{"case_id": case.id, "kind": "paper", "code": code, "recorded_at": cmd.now} for code in items],
    )
    return {"items": items}


def _report_fraud(conn: sa.Connection, case: LoadedCase, cmd: Command) -> dict[str, Any]:
    notice = case.view.notice
    years = banned_years(notice.year, notice.ban_years)
    ends = ban_ends_at(notice.year, notice.ban_years, notice.timezone)
    conn.execute(sa.insert(BANS), {
        "id_number": case.view.application.id_number, "case_id": case.id,
        "fraud_year": notice.year, "first_year": years[0], "last_year": years[-1],
        "ends_at": ends, "reason": cmd.reason, "created_at": cmd.now, "created_by": cmd.actor.login,
    })
    return {"banned_years": [years[0], years[-1]], "ban_ends_at": ends.isoformat()}


EFFECTS: dict[Event, Effect] = {
    Event.RETURN_FOR_CORRECTION: _return_for_correction,
    Event.START_PUBLICITY: _start_publicity,
    Event.RECORD_OBJECTION: _record_objection,
    Event.RESOLVE_OBJECTION: _resolve_objection,
    Event.CLOSE_PUBLICITY: _close_publicity,
    Event.COMPLETE_PUBLICITY: _complete_publicity,
    Event.RECEIVE_PAPER: _receive_paper,
    Event.REPORT_FRAUD: _report_fraud,
}


# Built once: every transition runs it.
_CLAIM = (
    sa.update(CASES)
    .where(CASES.c.id == sa.bindparam("b_id"), CASES.c.version == sa.bindparam("b_version"))
    .values(state=sa.bindparam("b_state"), version=sa.bindparam("b_next"), updated_at=sa.bindparam("b_now"))
)


def _claim(conn: sa.Connection, case: LoadedCase, to_state: Status, now: datetime) -> None:
    """Move the case only if nobody moved it since it was read (optimistic lock)."""
    moved = conn.execute(_CLAIM, {
        "b_id": case.id, "b_version": case.version, "b_state": to_state.value,
        "b_next": case.version + 1, "b_now": now,
    }).rowcount
    if moved != 1:
        raise Conflict(case.id, case.version)


def _messages(case: LoadedCase, cmd: Command, to_state: Status, details: dict[str, Any]) -> list[Message]:
    notice, event = case.view.notice, cmd.event.value
    extras = event_extras(event, case.view.state, to_state, details)
    # An objection's own words reach the applicant only where the notice says so; otherwise
    # they stay in the history and are not copied into the message either.
    hidden = cmd.event is Event.RECORD_OBJECTION and not notice.show_objection_text
    context = case_context(notice, case.view.application, cmd.now, reason="" if hidden else cmd.reason, **extras)
    # The new version makes the key unique to this transition: writing it twice adds nothing.
    key = case_key(case.id, case.version + 1, event)
    return to_person(key, event, case.id, case.campaign_id, context, case.email, case.phone)


def run_event(engine: sa.Engine, case_id: int, event: Event, who: Who, now: datetime,
              seen_version: int | None = None, **said: Any) -> Transition:
    """Apply one event to one case, all of it or nothing: the use case behind every
    event command. ``said`` is what the person typed with it (reason, opinion, items, upheld).
    With ``seen_version`` (the version a form was filled in from), a case changed since
    is a ``Conflict``: the person decided on what they saw, not on what is there now.
    A unit operator's ``CaseNotFound`` for another unit's case, as in every list."""
    with engine.begin() as conn:
        cmd = Command(event, acting(conn, who), now, **said)
        case = load_visible(conn, cmd.actor, case_id)
        if seen_version is not None and seen_version != case.version:
            raise Conflict(case.id, seen_version)
        to_state = decide(case.view, cmd)
        _claim(conn, case, to_state, cmd.now)
        effect = EFFECTS.get(cmd.event)
        details = effect(conn, case, cmd) if effect else {}
        history.record(conn, [history.entry(
            case.id, cmd.event.value, case.view.state, to_state, cmd.actor, cmd.now, cmd.reason, details,
        )])
        enqueue(conn, _messages(case, cmd, to_state, details))
    return Transition(case.id, cmd.event, case.view.state, to_state, cmd.now, details)
