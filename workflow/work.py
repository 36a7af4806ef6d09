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
from workflow.views import case_report, list_cases


def _unit_of(actor: Actor) -> str | None:
    return actor.unit_code if actor.role is Role.UNIT_OPERATOR else None


def cases_for(engine: sa.Engine, who: Who, state: str | None = None, campaign: str | None = None,
              limit: int = 500, unit: str | None = None, text: str | None = None,
              before: int | None = None) -> list[dict[str, Any]]:
    """The case list as ``who`` may see it: a unit operator's is their unit's, whatever
    unit they ask for."""
    with engine.connect() as conn:
        actor = identify(conn, who if isinstance(who, str) else None)
        return list_cases(conn, state, _unit_of(actor) or unit, campaign, limit, text, before)


def case_for(engine: sa.Engine, who: Who, case_id: int, now: datetime) -> dict[str, Any]:
    """One case as ``who`` may see it (another unit's case does not exist for them), with
    the events they may do on it now and what each takes: the forms of a page."""
    with engine.connect() as conn:
        actor = identify(conn, who if isinstance(who, str) else None)
        report = case_report(conn, case_id, now)
        if _unit_of(actor) is not None and report["unit"] != actor.unit_code:
            raise CaseNotFound(case_id)
        view = load_case(conn, case_id).view
    mine = [e for e in [n["event"] for n in report["next"]] + report["also"]
            if actor.role in PROCESS[Event(e)].roles]
    return {**report, "actions": [{"event": e, "takes": list(PROCESS[Event(e)].takes)} for e in mine],
            "paper_checklist": [{"code": i.code, "name": i.name}
                                for i in view.notice.paper_checklist(view.application.series)],
            "unit_opinion": view.notice.unit_opinion_text}


def my_work(engine: sa.Engine, who: Who, now: datetime) -> list[dict[str, Any]]:
    """Cases waiting for something ``who``'s role can do now, soonest deadline first."""
    with engine.connect() as conn:
        actor = identify(conn, who if isinstance(who, str) else None)
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
