"""Filling, claiming and marking the outbox.

A row's ``key`` comes from the event that caused it, so writing the same event's
messages twice adds nothing. Claiming is one atomic UPDATE ... RETURNING on both
databases, so that several relays share the work and no row goes out twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from notifications.addresses import is_email, is_mobile
from notifications.columns import database_now, utc_now
from notifications.columns import instant as _instant
from notifications.statuses import OutboxStatus


class OutboxMessage(SQLModel, table=True):
    """One message to one recipient on one channel, written with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        # A key is written once. For a case's messages one index both finds a case's
        # messages and keeps their keys unique (a case's keys name the case); messages
        # to no case (reminders to reviewers) have their own.
        sa.Index("uq_outbox_case_key", "case_id", "key", unique=True),
        sa.Index("uq_outbox_key_without_case", "key", unique=True,
                 sqlite_where=sa.text("case_id IS NULL"), postgresql_where=sa.text("case_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)  # idempotency key, from the causing event
    case_id: int | None = Field(default=None, foreign_key="application_case.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")  # whose notice fills in the rest
    kind: str = Field(max_length=64)  # the template: an event or a reminder
    channel: str = Field(max_length=8)  # email | sms
    recipient: str = Field(max_length=254)
    context: str  # JSON: the template's variables (ID numbers already masked)
    status: str = Field(max_length=16)  # an OutboxStatus
    attempts: int = 0
    next_attempt_at: datetime = _instant()
    claimed_at: datetime | None = _instant(nullable=True)
    claimed_by: str | None = Field(default=None, max_length=100)
    last_error: str | None = None
    created_at: datetime = _instant()
    sent_at: datetime | None = _instant(nullable=True)
    # What the provider said of an SMS: its id for the message (Aliyun BizId, Tencent
    # SerialNo), then the delivery receipt: delivered or failed, why, and when.
    provider_id: str | None = Field(default=None, max_length=64)
    delivery: str | None = Field(default=None, max_length=16)
    delivery_detail: str | None = Field(default=None, max_length=500)
    delivery_at: datetime | None = _instant(nullable=True)


OUTBOX: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Message:
    """A message to write: who, how, which template, with what."""

    key: str
    kind: str
    channel: str  # email | sms
    recipient: str
    context: dict[str, Any]  # its own part; the campaign's part is added when rendering
    case_id: int | None = None
    campaign_id: int | None = None


def case_key(case_id: int, version: int, event: str) -> str:
    """The key of what a transition says: the case's new version makes it the transition's
    own, so writing the same transition's messages twice adds nothing."""
    return f"case{case_id}/v{version}/{event}"


def ban_key(ban_id: int, what: str) -> str:
    """The key of what happened to a ban (``lifted``, ``ended``): once per ban."""
    return f"ban{ban_id}/{what}"


def reminder_key(reminder: str, to: str) -> str:
    """The key of a reminder to one person (``case7``, ``campaign2/rev1``): once each."""
    return f"reminder/{reminder}/{to}"


def case_key_sql(case_id: sa.ColumnElement[int], version: sa.ColumnElement[int], event: str
                 ) -> sa.ColumnElement[str]:
    """``case_key`` as SQL, for messages written set-based by the sweeps."""
    return "case" + sa.cast(case_id, sa.String) + "/v" + sa.cast(version, sa.String) + f"/{event}"


def channel_key(key: Any, channel: str) -> Any:
    """A message's key: the event's key and the channel it goes on. ``key`` is a string,
    or a SQL expression for messages written set-based: one spelling for both."""
    return key + f"/{channel}"


def address_problem(channel: str, recipient: str) -> str | None:
    valid = is_email if channel == "email" else is_mobile
    if not valid(recipient):
        return f"invalid {'e-mail address' if channel == 'email' else 'mobile number'}: {recipient!r}"
    return None


def enqueue(conn: sa.Connection, messages: list[Message]) -> None:
    """Write messages in the caller's transaction; a key already written is left alone.

    A message whose address cannot work is written dead with the reason, not dropped.
    Delivery runs on the database's clock, even when the event's clock is simulated.
    """
    if not messages:
        return
    rows = []
    for m in messages:
        problem = address_problem(m.channel, m.recipient)
        rows.append({
            "key": m.key, "case_id": m.case_id, "campaign_id": m.campaign_id, "kind": m.kind, "channel": m.channel,
            "recipient": m.recipient, "context": json.dumps(m.context, ensure_ascii=False, default=str),
            "status": OutboxStatus.DEAD if problem else OutboxStatus.PENDING, "attempts": 0,
            "last_error": problem,
        })
    # The dialects' own INSERT (for ON CONFLICT): imported here, as only writers need it.
    from sqlalchemy.dialects import postgresql, sqlite

    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(OUTBOX)
    stamped = insert.values(next_attempt_at=utc_now(), created_at=utc_now())
    conn.execute(stamped.on_conflict_do_nothing(), rows)  # whichever of the two key indexes it meets


def enqueue_select(conn: sa.Connection, by_channel: dict[str, sa.Select[Any]], kind: str,
                   context: dict[str, Any]) -> None:
    """Set-based enqueue, one statement for every channel: one message per row of each
    channel's select, whose columns are the event's key, the case, the campaign and the
    recipient. The same ``context`` for every row (the person's part is read from the
    case when sending)."""
    now = database_now(conn)  # read once: the same instant for every row
    text = sa.literal(json.dumps(context, ensure_ascii=False, default=str))
    parts = []
    for channel, rows in by_channel.items():
        key, case_id, campaign_id, recipient = rows.selected_columns
        parts.append(rows.with_only_columns(
            channel_key(key, channel), case_id, campaign_id, sa.literal(kind), sa.literal(channel), recipient,
            text, sa.literal(OutboxStatus.PENDING.value), sa.literal(0), now, now, maintain_column_froms=True,
        ))
    conn.execute(sa.insert(OUTBOX).from_select(
        ["key", "case_id", "campaign_id", "kind", "channel", "recipient", "context", "status",
         "attempts", "next_attempt_at", "created_at"],
        sa.union_all(*parts),
    ))


def _due(now: datetime, lease: timedelta) -> sa.ColumnElement[bool]:
    pending = sa.and_(OUTBOX.c.status == OutboxStatus.PENDING, OUTBOX.c.next_attempt_at <= now)
    # A row claimed by a relay that died before marking it is claimed again after its lease.
    abandoned = sa.and_(OUTBOX.c.status == OutboxStatus.SENDING, OUTBOX.c.claimed_at <= now - lease)
    return sa.or_(pending, abandoned)


def claim(engine: sa.Engine, limit: int, due_at: datetime, now: datetime, lease: timedelta,
          worker: str) -> list[Any]:
    """Take up to ``limit`` rows due at ``due_at`` for this worker, committed before sending.

    One UPDATE ... RETURNING picks and takes the rows, so two relays claiming at the same
    moment never both get a row: on SQLite the statement holds the write lock from its
    first read, on PostgreSQL ``SKIP LOCKED`` passes over rows another claim holds and the
    outer condition is checked again on the row as it is now. A claim takes at most
    ``limit`` rows.
    """
    due = sa.select(OUTBOX.c.id).where(_due(due_at, lease)).order_by(OUTBOX.c.id).limit(limit)
    if engine.dialect.name == "postgresql":
        # As a CTE, run once: a SKIP LOCKED subquery under IN may be run again per row
        # and hand over more rows than the limit.
        picked = due.with_for_update(skip_locked=True).cte("picked")
        which = OUTBOX.c.id == picked.c.id
    else:
        which = OUTBOX.c.id.in_(due.scalar_subquery())
    take = (
        sa.update(OUTBOX).where(which, _due(due_at, lease))
        .values(status=OutboxStatus.SENDING, claimed_at=now, claimed_by=worker)
        .returning(*OUTBOX.c)
    )
    with engine.begin() as conn:
        return sorted(conn.execute(take), key=lambda row: row.id)


def mark_sent(engine: sa.Engine, row_ids: list[int], worker: str, now: datetime,
              provider_ids: dict[int, str] | None = None) -> None:
    """Rows this worker still holds are sent, with the SMS provider's id for each that has
    one; one commit for the lot."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(OUTBOX).where(OUTBOX.c.id.in_(row_ids), OUTBOX.c.claimed_by == worker)
            .values(status=OutboxStatus.SENT, sent_at=now, attempts=OUTBOX.c.attempts + 1, last_error=None)
        )
        if provider_ids:
            conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == sa.bindparam("row"), OUTBOX.c.claimed_by == worker)
                         .values(provider_id=sa.bindparam("provider")),
                         [{"row": row, "provider": pid[:64]} for row, pid in provider_ids.items()])


def release(engine: sa.Engine, row_id: int, worker: str, until: datetime) -> None:
    """A claimed row given back unsent, due again at ``until``; not counted as an attempt."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(OUTBOX).where(OUTBOX.c.id == row_id, OUTBOX.c.claimed_by == worker)
            .values(status=OutboxStatus.PENDING, next_attempt_at=until, claimed_at=None)
        )


def mark_failed(
    engine: sa.Engine, row_id: int, worker: str, error: str, retry_at: datetime | None
) -> None:
    """Back to pending for ``retry_at``, or dead (``retry_at`` None) with the last error."""
    status = OutboxStatus.DEAD if retry_at is None else OutboxStatus.PENDING
    with engine.begin() as conn:
        conn.execute(
            sa.update(OUTBOX).where(OUTBOX.c.id == row_id, OUTBOX.c.claimed_by == worker)
            .values(status=status, attempts=OUTBOX.c.attempts + 1, last_error=error[:2000],
                    next_attempt_at=retry_at or OUTBOX.c.next_attempt_at, claimed_at=None)
        )


def retry(conn: sa.Connection, ids: list[int] | None, now: datetime) -> int:
    """Re-queue dead rows (these, or all): attempts start again from zero."""
    query = sa.update(OUTBOX).where(OUTBOX.c.status == OutboxStatus.DEAD)
    if ids is not None:
        query = query.where(OUTBOX.c.id.in_(ids))
    return conn.execute(
        query.values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, claimed_at=None, claimed_by=None)
    ).rowcount


def rows(conn: sa.Connection, status: str | None = None, case_id: int | None = None,
         limit: int = 200, delivery: str | None = None) -> list[Any]:
    """The newest ``limit`` rows, of one status, one case and one delivery receipt if given."""
    query = sa.select(OUTBOX).order_by(OUTBOX.c.id.desc()).limit(limit)
    if status:
        query = query.where(OUTBOX.c.status == status)
    if delivery:
        query = query.where(OUTBOX.c.delivery == delivery)
    if case_id is not None:
        query = query.where(OUTBOX.c.case_id == case_id)
    return list(conn.execute(query))


def row(conn: sa.Connection, message: int) -> Any:
    """One row by id, or None."""
    return conn.execute(sa.select(OUTBOX).where(OUTBOX.c.id == message)).first()
