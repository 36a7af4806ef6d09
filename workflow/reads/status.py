"""What the campaign as a whole looks like now: cases per state, the next moments of the
schedule, bans in force, the services running, important messages that never arrived.
Read as the person asking may see it: a unit operator, their unit's part."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from states import idnumber
from states.clock import in_beijing
from states.status import Status
from states.values import unit_scope
from workflow.runtime.leadership import lease_holder
from workflow.runtime.schedule import upcoming
from workflow.store.tables import BANS, CAMPAIGNS, CASES, SERVICES, UNITS
from workflow.usecases.access import Who, viewing


def _cases_of(unit: str | None) -> sa.ColumnElement[bool]:
    """Which cases a reader sees: their unit's, or (None) every case."""
    if unit is None:
        return sa.true()
    return CASES.c.unit_id == sa.select(UNITS.c.id).where(UNITS.c.code == unit).scalar_subquery()


def _state(value: str) -> dict[str, str]:
    return {"state": value, "state_label": Status(value).label}


def _state_counts(conn: sa.Connection, scope: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(CAMPAIGNS.c.code, CASES.c.state, sa.func.count().label("cases"))
        .join(CAMPAIGNS, CAMPAIGNS.c.id == CASES.c.campaign_id).where(scope)
        .group_by(CAMPAIGNS.c.code, CASES.c.state).order_by(CAMPAIGNS.c.code, CASES.c.state)
    )
    return [{"campaign": r.code, **_state(r.state), "cases": r.cases} for r in rows]


def bans_for(engine: sa.Engine, who: Who, include_lifted: bool, now: datetime) -> list[dict[str, Any]]:
    """`bans list`: the fraud bans, as ``who`` may see them (a unit operator, those found
    on their unit's cases)."""
    with engine.connect() as conn:
        return _bans(conn, _cases_of(unit_scope(viewing(conn, who))), include_lifted, now)


def _bans(conn: sa.Connection, scope: sa.ColumnElement[bool], include_lifted: bool,
          now: datetime) -> list[dict[str, Any]]:
    query = sa.select(BANS).where(BANS.c.case_id.in_(sa.select(CASES.c.id).where(scope))).order_by(BANS.c.id)
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


def status_for(engine: sa.Engine, who: Who, now: datetime, wall: datetime) -> dict[str, Any]:
    """`status`: ``now`` on the campaign's clock; ``wall``, the machine's, judges heartbeats."""
    with engine.connect() as conn:
        scope = _cases_of(unit_scope(viewing(conn, who)))
        counts = _state_counts(conn, scope)
        bans = [b for b in _bans(conn, scope, False, now) if b["in_force"]]
        # A service that has not beaten for half a minute is taken as gone.
        fresh = wall - timedelta(seconds=30)
        services = [dict(r._mapping) for r in conn.execute(
            sa.select(SERVICES).where(SERVICES.c.heartbeat_at >= fresh).order_by(SERVICES.c.started_at))]
        if conn.dialect.name == "postgresql":  # the server's word on who holds the lead, not the services' own
            holder = lease_holder(conn)
            for service in services:
                service["leading"] = service["id"] == holder
        undelivered = _failed_deliveries(conn, scope)
    moments = [{"at": in_beijing(m.at), "what": m.what, "campaign": m.campaign} for m in upcoming(engine, now, 10)]
    for ban in bans:
        ban["ends_at"] = in_beijing(ban["ends_at"])
    return {"cases": counts, "next": moments, "bans": bans, "services": services, "undelivered": undelivered}


# What an applicant must not miss: a return, a rejection, an expiry, the paper checklist.
IMPORTANT_KINDS = ("return_for_correction", "reject", "expire", "close_publicity", "reminder_paper_checklist")


def _failed_deliveries(conn: sa.Connection, scope: sa.ColumnElement[bool], limit: int = 50) -> list[dict[str, Any]]:
    """Important SMS the provider accepted but could not deliver: staff must reach these people."""
    from notifications.addresses import masked
    from notifications.outbox import OUTBOX

    rows = conn.execute(
        sa.select(OUTBOX.c.id, OUTBOX.c.case_id, OUTBOX.c.kind, OUTBOX.c.recipient, OUTBOX.c.delivery_detail,
                  OUTBOX.c.delivery_at)
        .where(OUTBOX.c.delivery == "failed", OUTBOX.c.kind.in_(IMPORTANT_KINDS),
               OUTBOX.c.case_id.in_(sa.select(CASES.c.id).where(scope)))
        .order_by(OUTBOX.c.id.desc()).limit(limit))
    return [{**r._mapping, "recipient": masked(r.recipient)} for r in rows]
