"""Publicities whose working days are over with no open objection are complete."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from notifications.outbox import Message, case_key, enqueue
from states.notice import Notice
from states.status import Status
from states.values import SERVICE_ACTOR, Event
from workflow.store import history
from workflow.store.cases import chunks
from workflow.store.tables import (
    CASES,
    OBJECTIONS,
    PUBLICITIES,
    UNITS,
)
from workflow.usecases.messages import beijing, event_context, to_person
from workflow.usecases.sweeps.common import reach


def publicity_complete_sql(now: datetime) -> sa.ColumnElement[bool]:
    """``states.guards.publicity_complete`` over the publicity table, for every row at once."""
    open_objection = sa.exists().where(OBJECTIONS.c.case_id == PUBLICITIES.c.case_id, OBJECTIONS.c.upheld.is_(None))
    return sa.and_(PUBLICITIES.c.started_at.is_not(None), PUBLICITIES.c.closed_at.is_(None),
                   PUBLICITIES.c.completed_at.is_(None), PUBLICITIES.c.completes_at <= now, ~open_objection)


def complete_publicities(engine: sa.Engine, campaign_id: int, notice: Notice, now: datetime) -> int:
    """Publicities whose working days are over with no open objection are complete."""
    due = sa.select(PUBLICITIES.c.case_id).where(publicity_complete_sql(now))
    # A case is updated when its publicity completed, not when the sweep noticed.
    completes_at = sa.select(PUBLICITIES.c.completes_at).where(PUBLICITIES.c.case_id == CASES.c.id).scalar_subquery()
    with engine.begin() as conn:
        rows = conn.execute(
            sa.update(CASES)
            .where(CASES.c.campaign_id == campaign_id, CASES.c.state == Status.UNIT_PUBLICITY.value,
                   CASES.c.id.in_(due))
            .values(version=CASES.c.version + 1, updated_at=completes_at)
            .returning(CASES.c.id, CASES.c.version)
        ).all()
        if not rows:
            return 0
        versions = {row.id: row.version for row in rows}
        completes: dict[int, datetime] = {}
        for part in chunks(list(versions)):
            of_part = PUBLICITIES.c.case_id.in_(part)
            conn.execute(sa.update(PUBLICITIES).where(of_part).values(completed_at=PUBLICITIES.c.completes_at))
            rows_ = conn.execute(sa.select(PUBLICITIES.c.case_id, PUBLICITIES.c.completes_at).where(of_part))
            completes.update({case_id: at for case_id, at in rows_})
        state = Status.UNIT_PUBLICITY.value
        history.record(conn, [history.entry(case_id, Event.COMPLETE_PUBLICITY.value, state, state,
                                            SERVICE_ACTOR, completes[case_id]) for case_id in versions])
        enqueue(conn, _publicity_messages(conn, campaign_id, versions, completes))
    return len(rows)


def _publicity_messages(conn: sa.Connection, campaign_id: int, versions: dict[int, int],
                        completes: dict[int, datetime]) -> list[Message]:
    people = reach(conn, list(versions))
    units = {}
    for part in chunks(list(versions)):
        query = (sa.select(CASES.c.id, UNITS.c.name, UNITS.c.email, UNITS.c.phone)
                 .join(UNITS, UNITS.c.id == CASES.c.unit_id).where(CASES.c.id.in_(part)))
        units.update({row.id: row for row in conn.execute(query)})
    messages = []
    for case_id, version in versions.items():
        person, unit, at = people[case_id], units[case_id], completes[case_id]
        key = case_key(case_id, version, Event.COMPLETE_PUBLICITY.value)
        context = event_context(at, publicity_completes=beijing(at))
        messages += to_person(key, "complete_publicity", case_id, campaign_id, context, person.email, person.phone)
        unit_context = {**context, "greeting": unit.name}
        messages += to_person(f"{key}/unit", "reminder_publicity_complete", case_id, campaign_id, unit_context,
                              unit.email, unit.phone)
    return messages
