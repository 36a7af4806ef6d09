"""My work: the cases the person's role can act on now, soonest deadline first, within
what they may see (a unit operator, only their unit's cases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from states import idnumber
from states.machine import prospects
from states.notice import Notice
from states.process import BOUNDED_BY, PROCESS
from states.status import Status
from states.values import Event, Role, unit_scope
from workflow.store.cases import LoadedCase, load_cases, loaded_notices
from workflow.store.tables import CASES, UNITS
from workflow.usecases.access import Who, viewing

# How many ready cases "my work" lists at once, and how many it checks to find them: the
# guards run in Python, so a page checks a bounded number of cases however many wait.
WORK_PAGE = 50
WORK_SCAN = 1000


def my_work(engine: sa.Engine, who: Who, now: datetime, limit: int = WORK_PAGE) -> dict[str, Any]:
    """Cases waiting for something ``who``'s role can do now, soonest deadline first, and
    how many cases are in the states where the role has work (``waiting``, by state)."""
    with engine.connect() as conn:
        actor = viewing(conn, who)
        events = [e for e, step in PROCESS.items() if step.planned and actor.role in step.roles]
        states = sorted({s.value for e in events for sources, _ in PROCESS[e].moves for s in sources})
        scope: list[sa.ColumnElement[bool]] = [CASES.c.state.in_(states)]
        if unit_scope(actor) is not None:
            their_unit = sa.select(UNITS.c.id).where(UNITS.c.code == actor.unit_code).scalar_subquery()
            scope.append(CASES.c.unit_id == their_unit)
        groups = conn.execute(sa.select(CASES.c.campaign_id, CASES.c.state, sa.func.count())
                              .where(*scope).group_by(CASES.c.campaign_id, CASES.c.state)).all()
        notices = dict(loaded_notices(conn))
        # The deadline is the same for every case of a campaign in a state: order the groups by it.
        ordered = sorted(groups, key=lambda g: _group_deadline(notices[g[0]], Status(g[1]), events) or _NEVER)
        rows: list[dict[str, Any]] = []
        scanned = 0
        for campaign_id, state, _ in ordered:
            if len(rows) >= limit or scanned >= WORK_SCAN:
                break
            ids = conn.execute(sa.select(CASES.c.id).where(*scope, CASES.c.campaign_id == campaign_id,
                                                           CASES.c.state == state)
                               .order_by(CASES.c.id).limit(WORK_SCAN - scanned)).scalars().all()
            # Loaded a page's worth at a time, one query each, until the page is full.
            for start in range(0, len(ids), limit):
                if len(rows) >= limit:
                    break
                batch = list(ids[start:start + limit])
                scanned += len(batch)
                rows += [r for r in (_ready(c, actor.role, now) for c in load_cases(conn, batch)) if r]
        rows = rows[:limit]
    waiting: dict[str, int] = {}
    for _, state, count in groups:
        waiting[state] = waiting.get(state, 0) + count
    return {"rows": rows, "waiting": waiting, "total": sum(waiting.values()),
            "complete": scanned < WORK_SCAN and len(rows) < limit}


_NEVER = datetime.max.replace(tzinfo=UTC)


def _group_deadline(notice: Notice, state: Status, events: list[Event]) -> datetime | None:
    closes = [notice.windows[BOUNDED_BY[e]].closes for e in events
              if e in BOUNDED_BY and any(state in sources for sources, _ in PROCESS[e].moves)]
    return min(closes, default=None)


def _ready(case: LoadedCase, role: Role, now: datetime) -> dict[str, Any] | None:
    """The case as a line of "my work", if something ``role`` does is open and unblocked."""
    ready = [p for p in prospects(case.view, now) if p.planned and role in p.roles and not p.blocked_by]
    if not ready:
        return None
    view = case.view
    return {"case": case.id, "name": view.application.name, "id_number": idnumber.mask(view.application.id_number),
            "unit": view.unit.code, "state": view.state.value, "state_label": view.state.label,
            "events": [p.event.value for p in ready],
            "until": min((p.until for p in ready if p.until), default=None)}
