"""What each person finds: the cases their role can act on now, and every read scoped to
what they may see (a unit operator sees only their unit's cases, anywhere)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from states.machine import Actor, Event, Role
from states.process import PROCESS
from workflow.access import Who, identify
from workflow.cases import CaseNotFound, load_case
from workflow.tables import CASES, UNITS
from workflow.views import case_report, list_cases, report_of


def _unit_of(actor: Actor) -> str | None:
    return actor.unit_code if actor.role is Role.UNIT_OPERATOR else None


def _viewer(conn: sa.Connection, who: Who) -> Actor:
    return identify(conn, who if isinstance(who, str) else None)


def cases_for(engine: sa.Engine, who: Who, state: str | None = None, campaign: str | None = None,
              limit: int = 500, unit: str | None = None, text: str | None = None,
              before: int | None = None) -> list[dict[str, Any]]:
    """The case list as ``who`` may see it: a unit operator's is their unit's, whatever
    unit they ask for."""
    with engine.connect() as conn:
        actor = _viewer(conn, who)
        return list_cases(conn, state, _unit_of(actor) or unit, campaign, limit, text, before)


def ensure_visible(engine: sa.Engine, who: Who, case_id: int) -> None:
    """``CaseNotFound`` unless ``who`` may see the case (another unit's does not exist for them)."""
    with engine.connect() as conn:
        _visible(conn, _viewer(conn, who), case_id)


def _visible(conn: sa.Connection, actor: Actor, case_id: int) -> None:
    query = sa.select(UNITS.c.code).join(CASES, CASES.c.unit_id == UNITS.c.id).where(CASES.c.id == case_id)
    unit = conn.execute(query).scalar() if 1 <= case_id <= 2**31 - 1 else None
    if unit is None or _unit_of(actor) not in (None, unit):
        raise CaseNotFound(case_id)


def case_for(engine: sa.Engine, who: Who, case_id: int, now: datetime) -> dict[str, Any]:
    """One case as ``who`` may see it, with the events they may do on it now and what each
    takes: the forms of a page."""
    with engine.connect() as conn:
        actor = _viewer(conn, who)
        _visible(conn, actor, case_id)
        case = load_case(conn, case_id)
        report = report_of(conn, case, now)
    mine = [e for e in [n["event"] for n in report["next"]] + report["also"]
            if actor.role in PROCESS[Event(e)].roles]
    view = case.view
    return {**report, "actions": [{"event": e, "takes": list(PROCESS[Event(e)].takes)} for e in mine],
            "paper_checklist": [{"code": i.code, "name": i.name}
                                for i in view.notice.paper_checklist(view.application.series)],
            "unit_opinion": view.notice.unit_opinion_text}


def my_work(engine: sa.Engine, who: Who, now: datetime) -> list[dict[str, Any]]:
    """Cases waiting for something ``who``'s role can do now, soonest deadline first."""
    with engine.connect() as conn:
        actor = _viewer(conn, who)
        states = sorted({s.value for step in PROCESS.values() if step.planned and actor.role in step.roles
                         for sources, _ in step.moves for s in sources})
        query = sa.select(CASES.c.id).join(UNITS, UNITS.c.id == CASES.c.unit_id).where(CASES.c.state.in_(states))
        if _unit_of(actor) is not None:
            query = query.where(UNITS.c.code == actor.unit_code)
        found = []
        for case_id in conn.execute(query.order_by(CASES.c.id)).scalars():
            report = case_report(conn, case_id, now)
            ready = [n for n in report["next"] if actor.role.value in n["roles"] and not n["blocked_by"]]
            if ready:
                found.append({**{k: report[k] for k in ("case", "name", "id_number", "unit", "state", "state_label")},
                              "events": [n["event"] for n in ready], "until": min(
                                  (n["until"] for n in ready if n["until"]), default=None)})
    return sorted(found, key=lambda w: (w["until"] is None, w["until"] or now, w["case"]))
