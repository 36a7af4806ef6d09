"""The outbox as staff see it: messages listed, one shown as it is sent, dead ones re-queued."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications import outbox
from notifications.addresses import masked
from notifications.settings import NotificationSettings
from states.machine import Role
from states.refusals import Refusal, Refused
from workflow.access import Who, acting, viewing
from workflow.sql import MAX_ID


def _summary(row: Any, settings: NotificationSettings) -> dict[str, Any]:
    from notifications.mail import message_id

    data = {k: v for k, v in row._mapping.items() if k != "context"}
    data["message_id"] = message_id(row.key, settings.mail_from) if row.channel == "email" else None
    return data


def list_messages(engine: sa.Engine, settings: NotificationSettings, status: str | None,
                  case_id: int | None, limit: int) -> list[dict[str, Any]]:
    """`outbox list`: the newest messages, with the Message-ID each e-mail carries."""
    with engine.connect() as conn:
        return [_summary(r, settings) for r in outbox.rows(conn, status, case_id, limit)]


UNDELIVERED = "undelivered"


def messages_for(engine: sa.Engine, who: Who, settings: NotificationSettings, status: str | None,
                 limit: int) -> list[dict[str, Any]]:
    """The outbox as the staff who answer for it (county clerks, administrators) see it."""
    with engine.connect() as conn:
        viewing(conn, who, Role.COUNTY_CLERK, Role.ADMINISTRATOR)
        # Undelivered: sent, but the provider's receipt says it never arrived.
        chosen = (outbox.rows(conn, None, None, limit, delivery="failed") if status == UNDELIVERED
                  else outbox.rows(conn, status, None, limit))
        found = [_summary(r, settings) for r in chosen]
    return [{**m, "recipient": masked(m["recipient"])} for m in found]


def show_message(engine: sa.Engine, settings: NotificationSettings, message: int) -> dict[str, Any]:
    """`outbox show`: one message, rendered exactly as the relay renders it."""
    from notifications.rendering import Renderer
    from workflow.messages import shared_contexts

    with engine.connect() as conn:
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
        acting(conn, who, Role.COUNTY_CLERK, Role.ADMINISTRATOR)
        return outbox.retry(conn, None if ids is None else [i for i in ids if 1 <= i <= MAX_ID], now)
