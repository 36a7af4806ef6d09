"""What the service will do next, and when: for its timers and for `chuding status`."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from states.schedule import Moment, campaign_moments
from states.status import Status
from workflow.cases import CAMPAIGN, B, C, P, loaded_notices
from workflow.sweeps import RUN


def upcoming(engine: sa.Engine, now: datetime, limit: int = 50) -> list[Moment]:
    """The next moments after ``now``: window closings, reminders, publicity ends, ban ends."""
    moments: list[Moment] = []
    with engine.connect() as conn:
        done = {
            (row.campaign_id, row.kind) for row in conn.execute(sa.select(RUN.c.campaign_id, RUN.c.kind))
        }
        for campaign_id, notice in loaded_notices(conn):
            moments += [m for m in campaign_moments(notice)
                        if m.at > now and (campaign_id, m.what) not in done]
        publicity = conn.execute(
            sa.select(P.c.completes_at, CAMPAIGN.c.code).join(C, C.c.id == P.c.case_id)
            .join(CAMPAIGN, CAMPAIGN.c.id == C.c.campaign_id)
            .where(C.c.state == Status.UNIT_PUBLICITY.value, P.c.closed_at.is_(None),
                   P.c.completed_at.is_(None), P.c.completes_at > now)
            .group_by(P.c.completes_at, CAMPAIGN.c.code).order_by(P.c.completes_at).limit(limit)
        )
        moments += [Moment(row.completes_at, "publicity_complete", row.code) for row in publicity]
        bans = conn.execute(
            sa.select(B.c.ends_at).where(B.c.ended_at.is_(None), B.c.lifted_at.is_(None), B.c.ends_at > now)
            .group_by(B.c.ends_at).order_by(B.c.ends_at).limit(limit)
        )
        moments += [Moment(row.ends_at, "ban_end", "") for row in bans]
    return sorted(moments, key=lambda m: m.at)[:limit]
