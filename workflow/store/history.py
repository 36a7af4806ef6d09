"""The one writer of a case's history: who did what, effective when, recorded when.

``effective_at`` is the event's time on the campaign's clock (which a simulation moves);
``recorded_at`` is the database's own clock at the write, shared by every process.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications.columns import UTCDateTime, database_now, utc_now
from states.status import Status
from states.values import SERVICE_ACTOR, Actor
from workflow.store.tables import HISTORY

_INSERT = sa.insert(HISTORY).values(recorded_at=utc_now())
COLUMNS = ["case_id", "event", "from_state", "to_state", "actor", "role", "reason", "details",
           "effective_at", "recorded_at"]


def entry(case_id: int, event: str, from_state: Status | str | None, to_state: Status | str,
          actor: Actor, at: datetime, reason: str = "", details: dict[str, Any] | None = None) -> dict[str, Any]:
    """One history row's values (all but ``recorded_at``, which the write stamps)."""
    return {
        "case_id": case_id, "event": event,
        "from_state": Status(from_state).value if from_state else None, "to_state": Status(to_state).value,
        "actor": actor.login, "role": actor.role.value, "reason": reason,
        "details": json.dumps(details or {}, ensure_ascii=False), "effective_at": at,
    }


def record(conn: sa.Connection, entries: list[dict[str, Any]]) -> None:
    """Write ``entries`` (from ``entry``) in the caller's transaction."""
    if entries:
        conn.execute(_INSERT, entries)


def record_select(conn: sa.Connection, cases: sa.Select[Any], event: str, to_state: Status,
                  at: datetime, reason: str) -> None:
    """Set-based: the same service event for every case ``cases`` selects, as (id, state)."""
    case_id, from_state = cases.selected_columns
    conn.execute(sa.insert(HISTORY).from_select(COLUMNS, cases.with_only_columns(
        case_id, sa.literal(event), from_state,
        sa.literal(to_state.value), sa.literal(SERVICE_ACTOR.login), sa.literal(SERVICE_ACTOR.role.value),
        sa.literal(reason), sa.literal("{}"), sa.literal(at, UTCDateTime), database_now(conn),
        maintain_column_froms=True,
    )))
