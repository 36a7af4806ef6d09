"""What the service does by itself, set-based and idempotent.

Each sweep moves every case it applies to in one transaction — the state change, a
history row per case (actor: the service) and the same outbox messages an operator's
transition writes — and running it again changes nothing. A case an operator moved a
moment before finds the sweep's WHERE clause no longer true for it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa

from states.notice import Notice
from workflow.store.cases import loaded_notices
from workflow.usecases.sweeps.bans import end_bans
from workflow.usecases.sweeps.expiry import expire_window
from workflow.usecases.sweeps.publicity import complete_publicities, publicity_complete_sql
from workflow.usecases.sweeps.reminders import REMINDER_RUNS, send_reminders

__all__ = ["REMINDER_RUNS", "campaigns", "catch_up", "complete_publicities", "end_bans", "expire_window",
           "publicity_complete_sql", "send_reminders"]


def campaigns(engine: sa.Engine) -> list[tuple[int, Notice]]:
    with engine.connect() as conn:
        return loaded_notices(conn)


def catch_up(engine: sa.Engine, now: datetime) -> Counter[str]:
    """Everything due by ``now``: what the service runs at each moment and after downtime."""
    counts: Counter[str] = Counter()
    for campaign_id, notice in campaigns(engine):
        for key in notice.windows:
            counts[f"expired_{key}"] += expire_window(engine, campaign_id, notice, key, now)
        counts["publicity_completed"] += complete_publicities(engine, campaign_id, notice, now)
        counts.update(send_reminders(engine, campaign_id, notice, now))
    counts["bans_ended"] += end_bans(engine, now)
    return +counts  # only what happened
