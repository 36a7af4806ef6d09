"""The relay never marks a message dead for data it could not read; `status` believes the
server about who leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from notifications.errors import DataUnreadable
from tests.support.world import World
from workflow.usecases.messages import shared_contexts


def test_a_message_whose_case_cannot_be_read_stops_the_relay(engine: sa.Engine) -> None:
    World(engine)
    rows = [SimpleNamespace(id=1, case_id=424242, campaign_id=None, kind="submit")]
    with pytest.raises(DataUnreadable):
        shared_contexts(engine)(rows)


def test_the_service_stops_on_unreadable_data_as_on_a_damaged_file() -> None:
    from workflow.runtime.daemon import Service

    service = Service.__new__(Service)
    service.fatal = None
    service._unusable(DataUnreadable("1 case(s) could not be read"))
    assert service.fatal is not None and "could not be read" in service.fatal


@pytest.mark.postgres
def test_status_shows_as_leading_only_the_service_the_server_says_holds_the_lead(pg_engine: sa.Engine) -> None:
    from workflow.reads.status import status_for
    from workflow.runtime.leadership import PostgresLeadership
    from workflow.store.db import upgrade
    from workflow.store.tables import SERVICES
    from workflow.usecases.operators import add_operator

    upgrade(pg_engine)
    holder, other = PostgresLeadership(pg_engine, "host:1:aaaaaa"), PostgresLeadership(pg_engine, "host:2:bbbbbb")
    try:
        assert holder.acquire() and not other.acquire()
        now = datetime.now(UTC)
        with pg_engine.begin() as conn:
            conn.execute(sa.delete(SERVICES))
            add_operator(conn, "admin", "admin", "administrator", None)
            for name in ("host:1:aaaaaa", "host:2:bbbbbb"):  # both still think they lead
                conn.execute(sa.insert(SERVICES), {"id": name, "host": "host", "pid": 1, "started_at": now,
                                                   "heartbeat_at": now, "leading": True})
        status = status_for(pg_engine, "admin", now, now + timedelta(seconds=1))
        shown = {s["id"]: s["leading"] for s in status["services"]}
        assert shown == {"host:1:aaaaaa": True, "host:2:bbbbbb": False}
    finally:
        holder.release()
        other.release()
