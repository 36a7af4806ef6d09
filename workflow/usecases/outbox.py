"""The outbox as staff see it: messages listed, one shown as it is sent, dead ones re-queued."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications import outbox
from notifications.addresses import masked
from notifications.settings import NotificationSettings
from states.permissions import Act, roles_for
from states.refusals import Refusal, Refused
from workflow.store.sql import MAX_ID
from workflow.usecases.access import Who, acting, viewing


def _summary(row: Any, settings: NotificationSettings) -> dict[str, Any]:
    from notifications.mail import message_id

    data = {k: v for k, v in row._mapping.items() if k != "context"}
    # The address masked wherever it is shown: a server's error may quote it.
    for name in ("last_error", "delivery_detail"):
        if data.get(name) and row.recipient:
            data[name] = data[name].replace(row.recipient, masked(row.recipient))
    data["recipient"] = masked(row.recipient)
    data["message_id"] = message_id(row.key, settings.mail_from) if row.channel == "email" else None
    return data


UNDELIVERED = "undelivered"


# The staff who answer for the messages: they read the outbox and send dead ones again.
OUTBOX_STAFF = tuple(roles_for(Act.KEEP_OUTBOX))


def messages_for(engine: sa.Engine, who: Who, settings: NotificationSettings, status: str | None,
                 limit: int, case_id: int | None = None) -> list[dict[str, Any]]:
    """`outbox list` and the messages page: the newest messages, recipients masked, with
    the Message-ID each e-mail carries."""
    with engine.connect() as conn:
        viewing(conn, who, *OUTBOX_STAFF)
        # Undelivered: sent, but the provider's receipt says it never arrived.
        chosen = (outbox.rows(conn, None, case_id, limit, delivery="failed") if status == UNDELIVERED
                  else outbox.rows(conn, status, case_id, limit))
        return [_summary(r, settings) for r in chosen]


def message_for(engine: sa.Engine, who: Who, settings: NotificationSettings, message: int) -> dict[str, Any]:
    """`outbox show`: one message, rendered exactly as the relay renders it, its recipient
    masked."""
    from notifications.rendering import Renderer
    from workflow.usecases.messages import shared_contexts

    with engine.connect() as conn:
        viewing(conn, who, *OUTBOX_STAFF)
        row = outbox.row(conn, message)
    if row is None:
        raise Refused([Refusal("outbox.unknown", f"message {message} does not exist", "message")])
    context = {**shared_contexts(engine)([row])[row.id], **json.loads(row.context)}
    rendered = Renderer(settings.template_dir).render(row.kind, context, settings.sms_sign_name)
    return {**_summary(row, settings), "subject": rendered.subject, "text": rendered.text, "sms": rendered.sms}


def requeue(engine: sa.Engine, who: Who, ids: list[int] | None, now: datetime) -> int:
    """`outbox retry`: a county clerk or administrator sends dead messages again (these,
    or with None all of them; a number no row can have names no message)."""
    with engine.begin() as conn:
        acting(conn, who, *OUTBOX_STAFF)
        return outbox.retry(conn, None if ids is None else [i for i in ids if 1 <= i <= MAX_ID], now)
