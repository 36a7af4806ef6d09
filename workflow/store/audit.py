"""The one writer of the audit: administrative and access events that are no case's own
(a notice replaced, a login, a lock, a password changed), with who, when and from where."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from notifications.columns import utc_now
from states.text import control_character
from workflow.store.tables import AUDIT


def shown(text: str, limit: int = 64) -> str:
    """Text as typed, fit for the audit: escaped where it holds control characters, cut to
    the column's length (a stranger at the login page may type anything)."""
    if control_character(text, multiline=False) is not None:
        text = text.encode("unicode_escape").decode("ascii")
    return text[:limit]


def audit(conn: sa.Connection, actor: str, action: str, subject: str, reason: str = "",
          address: str | None = None, **details: Any) -> None:
    """One audit row in the caller's transaction, stamped by the database's clock."""
    if address:
        details["address"] = shown(address, 100)
    conn.execute(sa.insert(AUDIT).values(
        at=utc_now(), actor=shown(actor), action=action, subject=shown(subject, 200), reason=reason,
        details=json.dumps(details, ensure_ascii=False)))
