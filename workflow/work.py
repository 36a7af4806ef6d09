"""What each person finds: the cases their role can act on now, and every read scoped to
what they may see (a unit operator sees only their unit's cases, anywhere)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from states import idnumber
from states.machine import Event, Role, prospects
from states.notice import Notice
from states.process import BOUNDED_BY, PROCESS
from states.status import Status
from workflow.access import Who, unit_scope, viewing
from workflow.cases import LoadedCase, load_cases, load_visible, loaded_notices
from workflow.tables import CASES, UNITS
from workflow.views import list_cases, report_of


def cases_for(engine: sa.Engine, who: Who, state: str | None = None, campaign: str | None = None,
              limit: int = 500, unit: str | None = None, text: str | None = None,
              past: int | None = None, oldest: bool = False) -> list[dict[str, Any]]:
    """The case list as ``who`` may see it: a unit operator's is their unit's, whatever
    unit they ask for."""
    with engine.connect() as conn:
        actor = viewing(conn, who)
        return list_cases(conn, state, unit_scope(actor) or unit, campaign, limit, text, past, oldest)


def case_for(engine: sa.Engine, who: Who, case_id: int, now: datetime) -> dict[str, Any]:
    """One case as ``who`` may see it, with the events they may do on it now and what each
    takes: the forms of a page."""
    with engine.connect() as conn:
        actor = viewing(conn, who)
        case = load_visible(conn, actor, case_id)
        report = report_of(conn, case, now)
    mine = [e for e in [n["event"] for n in report["next"]] + report["also"]
            if actor.role in PROCESS[Event(e)].roles]
    view = case.view
    return {**report, "actions": [{"event": e, "takes": list(PROCESS[Event(e)].takes)} for e in mine],
            "paper_checklist": [{"code": i.code, "name": i.name}
                                for i in view.notice.paper_checklist(view.application.series)],
            "unit_opinion": view.notice.unit_opinion_text, "application": _application(view.application)}


def _application(app: Any) -> dict[str, Any]:
    """What the applicant declared, as the case page shows it (the ID number is shown masked apart)."""
    return {"series": app.series, "specialty": app.specialty, "work_started_on": app.work_started_on,
            "educations": [{"level": e.level, "full_time": e.full_time, "school": e.school, "major": e.major,
                            "graduated_on": e.graduated_on} for e in app.educations],
            "assessments": [{"year": a.year, "grade": a.grade} for a in app.assessments],
            "continuing": [{"year": c.year, "public_hours": c.public_hours, "professional_hours": c.professional_hours}
                           for c in app.continuing_education]}


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
            scope.append(CASES.c.unit_id == sa.select(UNITS.c.id).where(UNITS.c.code == actor.unit_code).scalar_subquery())
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
