"""Which messages an event causes, and what their templates are told.

Every transition tells the applicant, by e-mail and SMS where the applicant has them.
The context holds only masked ID numbers and Beijing times, ready to print.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notifications.outbox import Message
from states import idnumber
from states.application import Application
from states.clock import in_beijing
from states.machine import EXPIRY_WINDOW
from states.notice import Notice
from states.status import Status

DEADLINE_OF = {
    "import": "personal_closes", "amend": "personal_closes", "return_for_correction": "personal_closes",
    "reminder_personal_closing": "personal_closes", "submit": "review_closes",
    "start_review": "review_closes", "approve_online": "paper_closes",
    "close_publicity": "paper_closes", "reminder_paper_checklist": "paper_closes",
    "start_publicity": "publicity_completes",
}


def beijing(instant: datetime | None) -> str:
    return "" if instant is None else f"{in_beijing(instant):%Y-%m-%d %H:%M}"


def base_context(notice: Notice, app: Application, case_id: int, now: datetime, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "greeting": app.name, "name": app.name, "id_masked": idnumber.mask(app.id_number),
        "case": case_id, "campaign_title": notice.title, "at": beijing(now),
        "contact_name": notice.contact.name, "contact_phone": notice.contact.phone,
        "contact_office": notice.contact.office,
        "personal_closes": beijing(notice.personal.closes), "review_closes": beijing(notice.review.closes),
        "paper_opens": beijing(notice.paper.opens), "paper_closes": beijing(notice.paper.closes),
        "publicity_days": notice.publicity_working_days, "publicity_completes": "",
        "paper_items": [item.name for item in notice.paper_checklist(app.series)],
        "unit_opinion": notice.unit_opinion_text, "reason": "", "upheld": False, "revoked": False,
        "ban_first": "", "ban_last": "", "ban_ends": "", "window_name": "", "window_closed": "",
    }
    context.update(extra)
    return context


def event_extras(notice: Notice, event: str, from_state: Status, to_state: Status,
                 details: dict[str, Any]) -> dict[str, Any]:
    """What one event adds to the context, from what its handler recorded."""
    extra: dict[str, Any] = {}
    if "completes_at" in details:
        extra["publicity_completes"] = beijing(datetime.fromisoformat(details["completes_at"]))
    if "upheld" in details:
        extra["upheld"] = bool(details["upheld"])
    if "banned_years" in details:
        first, last = details["banned_years"]
        extra.update(ban_first=first, ban_last=last, revoked=to_state is Status.REVOKED,
                     ban_ends=beijing(datetime.fromisoformat(details["ban_ends_at"])))
    if event == "expire":
        window = notice.windows[EXPIRY_WINDOW[from_state]]
        extra.update(window_name=window.name, window_closed=beijing(window.closes))
    return extra


def to_applicant(
    key: str, kind: str, case_id: int, context: dict[str, Any], email: str | None, phone: str | None
) -> list[Message]:
    """One message per channel the applicant can be reached on."""
    context = {**context, "deadline": context.get(DEADLINE_OF.get(kind, ""), "")}
    reach = [("email", email), ("sms", phone)]
    return [Message(f"{key}/{channel}", kind, channel, address, context, case_id)
            for channel, address in reach if address]
