"""What staff read: case lists, one case's report, counts per state, bans."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from states import idnumber
from states.clock import in_beijing
from states.machine import CHECKLIST_EVENTS, Prospect, prospects
from states.status import Status
from states.text import control_character
from workflow.cases import LoadedCase, load_case
from workflow.errors import BadUsage
from workflow.tables import APPLICANTS, BANS, CAMPAIGNS, CASES, HISTORY, UNITS


def _state(value: str) -> dict[str, str]:
    return {"state": value, "state_label": Status(value).label}


def list_cases(
    conn: sa.Connection, state: str | None, unit: str | None, campaign: str | None, limit: int,
    text: str | None = None, past: int | None = None, oldest: bool = False, masked: bool = True,
) -> list[dict[str, Any]]:
    """Newest first (``oldest``: oldest first); ``text`` finds a case number or part of a
    name; ``past`` pages on (the cases beyond that number in the chosen order), which
    stays fast however many there are."""
    for name, value in (("state", state), ("unit", unit), ("campaign", campaign), ("text", text)):
        bad = control_character(value or "", multiline=False)
        if bad is not None:  # typed in a form; the database would choke on a NUL
            raise BadUsage(f"不能含控制字符或不可见的格式字符（{bad}）", name)
    if state is not None and state not in {s.value for s in Status}:
        known = "、".join(f"{s.label} {s.value}" for s in Status)
        raise BadUsage(f"未知的状态 {state!r}（可选：{known}）", "state")
    for name, noun, table, value in (("unit", "推荐单位", UNITS, unit), ("campaign", "年度批次", CAMPAIGNS, campaign)):
        if value is not None and conn.execute(sa.select(table.c.id).where(table.c.code == value)).first() is None:
            raise BadUsage(f"没有登记代码为 {value!r} 的{noun}", name)
    query = (
        sa.select(CASES.c.id, CAMPAIGNS.c.code, APPLICANTS.c.name, APPLICANTS.c.id_number, UNITS.c.code.label("unit"), CASES.c.state, CASES.c.updated_at)
        .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id).join(UNITS, UNITS.c.id == CASES.c.unit_id)
        .join(CAMPAIGNS, CAMPAIGNS.c.id == CASES.c.campaign_id)
        .order_by(CASES.c.id if oldest else CASES.c.id.desc()).limit(limit)
    )
    if state:
        query = query.where(CASES.c.state == state)
    if unit:
        query = query.where(UNITS.c.code == unit)
    if campaign:
        query = query.where(CAMPAIGNS.c.code == campaign)
    if text and text.strip():
        query = query.where(_matching(text.strip()))
    if past is not None:
        query = query.where(CASES.c.id > past if oldest else CASES.c.id < past)
    return [
        {"case": r.id, "campaign": r.code, "name": r.name,
         "id_number": idnumber.mask(r.id_number) if masked else r.id_number,
         "unit": r.unit, **_state(r.state), "updated_at": r.updated_at}
        for r in conn.execute(query)
    ]


def _matching(text: str) -> sa.ColumnElement[bool]:
    """A case number, or part of the applicant's name (typed as is: % and _ are letters)."""
    name = APPLICANTS.c.name.contains(text, autoescape=True)
    return sa.or_(CASES.c.id == int(text), name) if text.isdecimal() and len(text) < 10 else name


def case_report(conn: sa.Connection, case_id: int, now: datetime) -> dict[str, Any]:
    return report_of(conn, load_case(conn, case_id), now)


def report_of(conn: sa.Connection, case: LoadedCase, now: datetime) -> dict[str, Any]:
    """A case already loaded, as staff read it."""
    case_id, view = case.id, case.view
    name = conn.execute(
        sa.select(APPLICANTS.c.name).join(CASES, CASES.c.applicant_id == APPLICANTS.c.id).where(CASES.c.id == case_id)
    ).scalar_one()
    open_ = prospects(view, now)
    planned = [p for p in open_ if p.planned]
    anytime = [p for p in open_ if not p.planned]
    history = conn.execute(sa.select(HISTORY).where(HISTORY.c.case_id == case_id).order_by(HISTORY.c.id))
    p = view.publicity
    return {
        "case": case.id, "campaign": case.campaign_code, "name": name,
        "id_number": idnumber.mask(view.application.id_number), "unit": view.unit.code,
        **_state(view.state.value), "version": case.version,
        "publicity": None if p.started_at is None else {
            "started_at": p.started_at, "completes_at": p.completes_at, "closed_at": p.closed_at,
            "open_objections": p.open_objections, "upheld_objections": p.upheld_objections,
        },
        "missing": [{"for": p.event.value, "rule": r.rule, "field": r.field, "message": r.message}
                    for p in open_ if p.event in CHECKLIST_EVENTS for r in p.missing],
        "next": [_next(p) for p in planned],
        "also": sorted(p.event.value for p in anytime),
        "also_roles": {p.event.value: _roles(p) for p in anytime},
        "history": [
            {**{k: v for k, v in h._mapping.items() if k not in ("case_id", "details")},
             "details": json.loads(h.details)}
            for h in history
        ],
    }


def _roles(p: Prospect) -> list[str]:
    return sorted(r.value for r in p.roles)


def _next(p: Prospect) -> dict[str, Any]:
    return {"event": p.event.value, "roles": _roles(p), "until": p.until,
            "blocked_by": [r.message for r in p.blocked_by]}


def state_counts(conn: sa.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(CAMPAIGNS.c.code, CASES.c.state, sa.func.count().label("cases"))
        .join(CAMPAIGNS, CAMPAIGNS.c.id == CASES.c.campaign_id)
        .group_by(CAMPAIGNS.c.code, CASES.c.state).order_by(CAMPAIGNS.c.code, CASES.c.state)
    )
    return [{"campaign": r.code, **_state(r.state), "cases": r.cases} for r in rows]


def list_bans(conn: sa.Connection, include_lifted: bool, now: datetime) -> list[dict[str, Any]]:
    query = sa.select(BANS).order_by(BANS.c.id)
    if not include_lifted:
        query = query.where(BANS.c.lifted_at.is_(None))
    return [
        {"ban": r.id, "id_number": idnumber.mask(r.id_number), "case": r.case_id,
         "fraud_year": r.fraud_year, "first_year": r.first_year, "last_year": r.last_year,
         "ends_at": r.ends_at, "in_force": r.lifted_at is None and now < r.ends_at,
         "reason": r.reason, "created_by": r.created_by, "lifted_at": r.lifted_at,
         "lifted_by": r.lifted_by, "lift_reason": r.lift_reason}
        for r in conn.execute(query)
    ]


def service_status(engine: sa.Engine, now: datetime, wall: datetime) -> dict[str, Any]:
    """`status`: ``now`` on the campaign's clock; ``wall``, the machine's, judges heartbeats."""
    from workflow.leadership import lease_holder
    from workflow.schedule import upcoming
    from workflow.service import SERVICES

    with engine.connect() as conn:
        counts = state_counts(conn)
        bans = [b for b in list_bans(conn, False, now) if b["in_force"]]
        # A service that has not beaten for half a minute is taken as gone.
        fresh = wall - timedelta(seconds=30)
        services = [dict(r._mapping) for r in conn.execute(
            sa.select(SERVICES).where(SERVICES.c.heartbeat_at >= fresh).order_by(SERVICES.c.started_at))]
        if conn.dialect.name == "postgresql":  # the server's word on who holds the lead, not the services' own
            holder = lease_holder(conn)
            for service in services:
                service["leading"] = service["id"] == holder
        undelivered = failed_deliveries(conn)
    moments = [{"at": in_beijing(m.at), "what": m.what, "campaign": m.campaign} for m in upcoming(engine, now, 10)]
    for ban in bans:
        ban["ends_at"] = in_beijing(ban["ends_at"])
    return {"cases": counts, "next": moments, "bans": bans, "services": services, "undelivered": undelivered}


# What an applicant must not miss: a return, a rejection, an expiry, the paper checklist.
IMPORTANT_KINDS = ("return_for_correction", "reject", "expire", "close_publicity", "reminder_paper_checklist")


def failed_deliveries(conn: sa.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """Important SMS the provider accepted but could not deliver: staff must reach these people."""
    from notifications.addresses import masked
    from notifications.outbox import OUTBOX

    rows = conn.execute(
        sa.select(OUTBOX.c.id, OUTBOX.c.case_id, OUTBOX.c.kind, OUTBOX.c.recipient, OUTBOX.c.delivery_detail,
                  OUTBOX.c.delivery_at)
        .where(OUTBOX.c.delivery == "failed", OUTBOX.c.kind.in_(IMPORTANT_KINDS))
        .order_by(OUTBOX.c.id.desc()).limit(limit))
    return [{**r._mapping, "recipient": masked(r.recipient)} for r in rows]
