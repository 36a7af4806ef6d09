"""Cases still waiting on a closed window expire, as of its first late second."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from notifications.outbox import case_key_sql, enqueue_select
from states.notice import Notice
from states.schedule import expiring_states
from states.status import Status
from states.values import Event
from workflow.store import history
from workflow.store.tables import (
    APPLICANTS,
    CASES,
)
from workflow.usecases.messages import beijing, event_context
from workflow.usecases.sweeps.common import lock_cases


def expire_window(engine: sa.Engine, campaign_id: int, notice: Notice, window_key: str, now: datetime) -> int:
    """Cases still waiting on a closed window expire, as of its first late second.

    Set-based: the history rows, the outbox messages of each channel and the state change
    are one INSERT ... SELECT or UPDATE each, over the same cases (every state the
    window bounds at once).
    """
    window = notice.windows[window_key]
    if not window.has_closed(now):
        return 0
    at = window.first_late_second
    reason = f"{window.name}时间已于 {beijing(window.closes)} 结束"
    states = [state.value for state in expiring_states(window_key)]
    waiting = sa.and_(CASES.c.campaign_id == campaign_id, CASES.c.state.in_(states))
    # The same for every case: the person's part is filled in when sending.
    context = event_context(at, window=window_key)
    # The same key an operator's expire would write.
    key = case_key_sql(CASES.c.id, CASES.c.version + 1, Event.EXPIRE.value)
    with engine.begin() as conn:
        lock_cases(conn)
        history.record_select(conn, sa.select(CASES.c.id, CASES.c.state).where(waiting), Event.EXPIRE.value,
                              Status.EXPIRED, at, reason)
        enqueue_select(conn, {
            channel: sa.select(key, CASES.c.id, sa.literal(campaign_id), address)
            .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id).where(waiting, address.is_not(None))
            for channel, address in (("email", APPLICANTS.c.email), ("sms", APPLICANTS.c.phone))
        }, Event.EXPIRE.value, context)
        return conn.execute(
            sa.update(CASES).where(waiting)
            # The case changed when the rule took effect, not when the sweep ran.
            .values(state=Status.EXPIRED.value, version=CASES.c.version + 1, updated_at=at)
        ).rowcount
