"""The campaign at a glance: cases per state and unit, how far they got, submissions per
day against the windows, deadlines passed and coming, bans in force. Staff see the whole
county; a unit operator sees only their unit's cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from states import idnumber
from states.clock import in_beijing
from states.notice import Window
from states.status import Status
from states.values import unit_scope
from workflow.store.cases import loaded_notices
from workflow.store.sql import beijing_day
from workflow.store.tables import BANS, CASES, HISTORY, UNITS
from workflow.usecases.access import Who, viewing

# The way a case goes when all is well: the funnel's steps.
FUNNEL = (Status.DRAFTED, Status.SUBMITTED, Status.ONLINE_REVIEW, Status.UNIT_PUBLICITY,
          Status.PAPER_RECEIVED, Status.CONFIRMED)


def campaign_overview(engine: sa.Engine, who: Who, now: datetime) -> dict[str, Any]:
    with engine.connect() as conn:
        actor = viewing(conn, who)
        unit = unit_scope(actor)
        scope = sa.true() if unit is None else UNITS.c.code == unit
        per_unit, reached, submitted = _counts(conn, scope)
        notices = loaded_notices(conn)
        bans = conn.execute(
            sa.select(BANS.c.id, BANS.c.id_number, BANS.c.first_year, BANS.c.last_year, BANS.c.ends_at)
            .where(BANS.c.lifted_at.is_(None), BANS.c.ended_at.is_(None), BANS.c.ends_at > now)
            .order_by(BANS.c.ends_at)
        ).all() if unit is None else []
    table = _state_by_unit(per_unit)
    windows = [(n.year, w) for _, n in notices for w in sorted(n.windows.values(), key=lambda w: w.opens)]
    total = sum(row["total"] for row in table)
    return {
        "unit": unit,
        "campaigns": [n.code for _, n in notices],
        "states": [s.value for s in Status],
        "by_unit": table,
        "total": total,
        "funnel": [{"state": s.value, "label": s.label,
                    "count": total if s is Status.DRAFTED else reached.get(s.value, 0)} for s in FUNNEL],
        "unit_bars": [{"label": row["unit"], "count": row["total"]} for row in table],
        "per_day": _per_day(submitted, [w for _, w in windows if w.key == "personal"]),
        "windows": [{"campaign": year, "key": w.key, "name": w.name, "opens": w.opens, "closes": w.closes,
                     "passed": w.has_closed(now), "open": w.contains(now)} for year, w in windows],
        # Where a window opens or closes on a day of the submissions chart, a mark says so.
        "window_marks": {in_beijing(at).date(): f"{w.name}{edge}" for _, w in windows
                         for at, edge in ((w.opens, "开始"), (w.closes, "截止"))},
        "bans": [{"id": b.id, "id_number": idnumber.mask(b.id_number), "years": f"{b.first_year}–{b.last_year}",
                  "ends_at": b.ends_at} for b in bans],
    }


def _counts(conn: sa.Connection, scope: sa.ColumnElement[bool]) -> tuple[Any, dict[str, int], Counter[date]]:
    """Cases per unit and state; how many reached each step; submissions per Beijing day."""
    cases = CASES.join(UNITS, UNITS.c.id == CASES.c.unit_id)
    of_cases = HISTORY.join(CASES, CASES.c.id == HISTORY.c.case_id).join(UNITS, UNITS.c.id == CASES.c.unit_id)
    per_unit = conn.execute(
        sa.select(UNITS.c.code, CASES.c.state, sa.func.count()).select_from(cases).where(scope)
        .group_by(UNITS.c.code, CASES.c.state).order_by(UNITS.c.code)
    ).all()
    reached: dict[str, int] = dict(conn.execute(
        sa.select(HISTORY.c.to_state, sa.func.count(sa.distinct(HISTORY.c.case_id))).select_from(of_cases)
        .where(scope, HISTORY.c.to_state.in_([s.value for s in FUNNEL])).group_by(HISTORY.c.to_state)
    ).all())
    day = beijing_day(HISTORY.c.effective_at)
    submitted = Counter({date.fromisoformat(d): n for d, n in conn.execute(
        sa.select(day, sa.func.count()).select_from(of_cases).where(scope, HISTORY.c.event == "submit").group_by(day)
    )})
    return per_unit, reached, submitted


def _state_by_unit(rows: Sequence[Any]) -> list[dict[str, Any]]:
    units: dict[str, Counter[str]] = {}
    for code, state, count in rows:
        units.setdefault(code, Counter())[state] += count
    return [{"unit": code, "counts": dict(counts), "total": sum(counts.values())} for code, counts in units.items()]


# The longest stretch the submissions chart draws, in days (the newest ones).
CHART_DAYS = 120


def _per_day(days: Counter[date], personal: list[Window]) -> list[dict[str, Any]]:
    """Submissions per Beijing day over the personal windows and every day with one (a day
    without any is a zero, not a gap), so the chart reads against the windows."""
    edges = [in_beijing(at).date() for w in personal for at in (w.opens, w.closes)] + list(days)
    if not edges:
        return []
    last = max(edges)
    first = max(min(edges), last - timedelta(days=CHART_DAYS - 1))
    span = (last - first).days + 1
    return [{"day": first + timedelta(d), "count": days.get(first + timedelta(d), 0)} for d in range(span)]
