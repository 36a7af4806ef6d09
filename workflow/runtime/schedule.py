"""What the service will do next, and when: for its timers and for `chuding status`."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from states.schedule import Moment, campaign_moments
from states.status import Status
from workflow.store.cases import loaded_notices
from workflow.store.tables import BANS, CAMPAIGNS, CASES, PUBLICITIES
from workflow.usecases.sweeps import REMINDER_RUNS


def upcoming(engine: sa.Engine, now: datetime, limit: int = 50) -> list[Moment]:
    """The next moments after ``now``: window closings, reminders, publicity ends, ban ends."""
    moments: list[Moment] = []
    with engine.connect() as conn:
        done = {
            (row.campaign_id, row.kind)
            for row in conn.execute(sa.select(REMINDER_RUNS.c.campaign_id, REMINDER_RUNS.c.kind))
        }
        for campaign_id, notice in loaded_notices(conn):
            moments += [m for m in campaign_moments(notice)
                        if m.at > now and (campaign_id, m.what) not in done]
        publicity = conn.execute(
            sa.select(PUBLICITIES.c.completes_at, CAMPAIGNS.c.code).join(CASES, CASES.c.id == PUBLICITIES.c.case_id)
            .join(CAMPAIGNS, CAMPAIGNS.c.id == CASES.c.campaign_id)
            .where(CASES.c.state == Status.UNIT_PUBLICITY.value, PUBLICITIES.c.closed_at.is_(None),
                   PUBLICITIES.c.completed_at.is_(None), PUBLICITIES.c.completes_at > now)
            .group_by(PUBLICITIES.c.completes_at, CAMPAIGNS.c.code).order_by(PUBLICITIES.c.completes_at).limit(limit)
        )
        moments += [Moment(row.completes_at, "publicity_complete", row.code) for row in publicity]
        bans = conn.execute(
            sa.select(BANS.c.ends_at).where(BANS.c.ended_at.is_(None), BANS.c.lifted_at.is_(None), BANS.c.ends_at > now)
            .group_by(BANS.c.ends_at).order_by(BANS.c.ends_at).limit(limit)
        )
        moments += [Moment(row.ends_at, "ban_end", "") for row in bans]
    return sorted(moments, key=lambda m: m.at)[:limit]
