"""Bans whose last year is over end at 00:00 on 1 January after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications.outbox import ban_key, enqueue
from states.values import SERVICE_ACTOR
from workflow.store import history
from workflow.store.tables import (
    BANS,
    CASES,
)
from workflow.usecases.messages import beijing, event_context, to_person
from workflow.usecases.sweeps.common import reach


def end_bans(engine: sa.Engine, now: datetime) -> int:
    """Bans whose last year is over end at 00:00 on 1 January after it: recorded once."""
    with engine.begin() as conn:
        ended = conn.execute(
            sa.update(BANS).where(BANS.c.ended_at.is_(None), BANS.c.lifted_at.is_(None), BANS.c.ends_at <= now)
            .values(ended_at=BANS.c.ends_at)
            .returning(BANS.c.id, BANS.c.case_id, BANS.c.first_year, BANS.c.last_year, BANS.c.ends_at)
        ).all()
        if not ended:
            return 0
        case_ids = [b.case_id for b in ended]
        cases = {row.id: row for row in conn.execute(
            sa.select(CASES.c.id, CASES.c.state, CASES.c.campaign_id).where(CASES.c.id.in_(case_ids)))}
        people = reach(conn, case_ids)
        history.record(conn, [history.entry(b.case_id, "ban_ended", cases[b.case_id].state, cases[b.case_id].state,
                                            SERVICE_ACTOR, b.ends_at, _ended(b)) for b in ended])
        messages = []
        for ban in ended:
            person = people[ban.case_id]
            context = event_context(ban.ends_at, ban_first=ban.first_year, ban_last=ban.last_year,
                                    ban_ends=beijing(ban.ends_at))
            messages += to_person(ban_key(ban.id, "ended"), "ban_ended", ban.case_id, cases[ban.case_id].campaign_id,
                                  context, person.email, person.phone)
        enqueue(conn, messages)
    return len(ended)


def _ended(ban: Any) -> str:
    return f"{ban.first_year}–{ban.last_year} 年不得申报的期限结束"
