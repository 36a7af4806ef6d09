"""Delivery receipts: whether each SMS a provider accepted reached the phone.

The service's leader asks the provider now and then (Aliyun QuerySendDetails per message,
Tencent PullSmsSendStatus for all) and writes what it says on the outbox row: delivered
or failed, the provider's reason, and when. Providers keep receipts for a few days only,
so only messages sent in the last ``WINDOW`` are asked about.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from notifications.outbox import OUTBOX
from notifications.providers import Receipt, Sent
from notifications.statuses import OutboxStatus

log = logging.getLogger("chuding.receipts")
WINDOW = timedelta(days=3)
BATCH = 500  # messages asked about per round (Aliyun: one request each)


def awaiting(conn: sa.Connection, now: datetime) -> list[Sent]:
    rows = conn.execute(
        sa.select(OUTBOX.c.provider_id, OUTBOX.c.recipient, OUTBOX.c.key, OUTBOX.c.sent_at)
        .where(OUTBOX.c.channel == "sms", OUTBOX.c.status == OutboxStatus.SENT, OUTBOX.c.provider_id.is_not(None),
               OUTBOX.c.delivery.is_(None), OUTBOX.c.sent_at >= now - WINDOW)
        .order_by(OUTBOX.c.id).limit(BATCH)
    )
    return [Sent(r.provider_id, r.recipient, r.key, r.sent_at) for r in rows]


def record(engine: sa.Engine, receipts: list[Receipt], now: datetime) -> int:
    """Writes each receipt on the row with its provider id; returns how many rows it found."""
    if not receipts:
        return 0
    with engine.begin() as conn:
        return int(conn.execute(
            sa.update(OUTBOX).where(OUTBOX.c.provider_id == sa.bindparam("pid"), OUTBOX.c.channel == "sms")
            .values(delivery=sa.bindparam("outcome"), delivery_detail=sa.bindparam("detail"),
                    delivery_at=sa.bindparam("at")),
            [{"pid": r.provider_id, "outcome": "delivered" if r.delivered else "failed",
              "detail": r.detail[:500], "at": r.at or now} for r in receipts],
        ).rowcount or 0)


def collect(engine: sa.Engine, gateway: Any, now: datetime) -> int:
    """One round: ask the provider (if it gives receipts) and record what it says."""
    ask = getattr(gateway, "receipts", None)
    if ask is None:
        return 0
    with engine.connect() as conn:
        sent = awaiting(conn, now)
    # Asked even with nothing awaiting here: a provider that hands over all its receipts
    # (Tencent) is drained; one asked message by message (Aliyun) asks nothing.
    receipts: list[Receipt] = ask(sent)
    found = record(engine, receipts, now)
    failed = sum(1 for r in receipts if not r.delivered)
    if receipts:
        log.info("SMS receipts: %d delivered, %d failed", len(receipts) - failed, failed)
    return found
