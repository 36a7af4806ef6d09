"""Which messages an event causes, and what their templates are told.

Every transition tells the applicant, by e-mail and SMS where the applicant has them.
A template's context comes in three parts: the campaign's (from its notice), the
person's (name, masked ID number and case number, from the case) and the event's own
(times, reasons, deadlines). An outbox row stores only the event's own part; the other
two are filled in when the message is rendered, so personal data is not copied into
every message and the row stays small. Times are Beijing times, ready to print.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications.channels import Channels
from notifications.errors import DataUnreadable
from notifications.outbox import Message, channel_key
from notifications.relay import RelayReport, SharedContexts, send_due
from notifications.settings import NotificationSettings
from states import idnumber
from states.application import Application
from states.clock import Clock, beijing_text
from states.notice import Notice
from states.process import EXPIRY_WINDOW
from states.status import Status
from workflow.store.cases import chunks, notice_of
from workflow.store.tables import APPLICANTS, CASES


def beijing(instant: datetime | None) -> str:
    """Messages name times to the minute."""
    return beijing_text(instant, seconds=False)


def campaign_context(notice: Notice) -> dict[str, Any]:
    """What every message of a campaign shares: derived from its notice when rendering,
    so an outbox row stores only what is its own."""
    return {
        "campaign_title": notice.title,
        "contact_name": notice.contact.name, "contact_phone": notice.contact.phone,
        "contact_office": notice.contact.office,
        "paper_address": notice.contact.paper_address, "paper_hours": notice.contact.paper_hours,
        "remedies": notice.remedies_text, "show_objection_text": notice.show_objection_text,
        "personal_closes": beijing(notice.personal.closes), "review_closes": beijing(notice.review.closes),
        "paper_opens": beijing(notice.paper.opens), "paper_closes": beijing(notice.paper.closes),
        "publicity_days": notice.publicity_working_days, "unit_opinion": notice.unit_opinion_text,
        # Defaults for what only some events carry.
        "publicity_completes": "", "reason": "", "upheld": False, "revoked": False,
        "ban_first": "", "ban_last": "", "ban_ends": "",
        "windows": {key: {"name": w.name, "opens": beijing(w.opens), "closes": beijing(w.closes)}
                    for key, w in notice.windows.items()},
    }


def person_context(name: str, id_number: str, case_id: int) -> dict[str, Any]:
    """What a message about one case says of its applicant (the ID number masked)."""
    return {"name": name, "id_masked": idnumber.mask(id_number), "case": case_id}


def event_context(now: datetime, **extra: Any) -> dict[str, Any]:
    """An outbox row's own part: when it happened and what only this event carries."""
    return {"at": beijing(now), **extra}


# The kinds whose templates list the paper checklist; only they are given it, when sent.
PAPER_KINDS = frozenset({"close_publicity", "reminder_paper_checklist"})


def paper_items(notice: Notice, series: str) -> list[str]:
    return [item.name for item in notice.paper_checklist(series)]


def case_context(notice: Notice, app: Application, now: datetime, **extra: Any) -> dict[str, Any]:
    """An outbox row's own part for a transition of ``app``'s case."""
    return event_context(now, **extra)


def full_context(notice: Notice, app: Application, case_id: int, now: datetime, **extra: Any) -> dict[str, Any]:
    """Everything a template sees, as the relay assembles it (for previews and tests)."""
    return {**campaign_context(notice), **person_context(app.name, app.id_number, case_id),
            "paper_items": paper_items(notice, app.series), **case_context(notice, app, now, **extra)}


def event_extras(event: str, from_state: Status, to_state: Status,
                 details: dict[str, Any]) -> dict[str, Any]:
    """What one event adds to the context, from what its handler recorded."""
    extra: dict[str, Any] = {}
    if "completes_at" in details:
        extra["publicity_completes"] = beijing(datetime.fromisoformat(details["completes_at"]))
    if "upheld" in details:
        extra["upheld"] = bool(details["upheld"])
    if "named" in details:  # the slots a return named, each with its reason
        extra["returned"] = list(details["named"])
    if "banned_years" in details:
        first, last = details["banned_years"]
        extra.update(ban_first=first, ban_last=last, revoked=to_state is Status.REVOKED,
                     ban_ends=beijing(datetime.fromisoformat(details["ban_ends_at"])))
    if event == "expire":
        extra["window"] = EXPIRY_WINDOW[from_state]  # the template reads its name and close
    return extra


def to_person(
    key: str, kind: str, case_id: int | None, campaign_id: int, context: dict[str, Any],
    email: str | None, phone: str | None,
) -> list[Message]:
    """One message per channel a person (applicant, unit or reviewer) can be reached on."""
    reach = [("email", email), ("sms", phone)]
    return [Message(channel_key(key, channel), kind, channel, address, context, case_id, campaign_id)
            for channel, address in reach if address]


def shared_contexts(engine: sa.Engine, link: Callable[[int], str] | None = None) -> SharedContexts:
    """The relay's source of the campaign's and the person's part of each row's context:
    one query per batch of rows for the people, each campaign's notice read once; with
    ``link``, the applicant's link to their case's page."""
    campaigns: dict[int, dict[str, Any]] = {}

    def shared(rows: list[Any]) -> dict[int, dict[str, Any]]:
        case_ids = sorted({row.case_id for row in rows if row.case_id is not None})
        with engine.connect() as conn:
            people = {}
            for part in chunks(case_ids):
                query = (sa.select(CASES.c.id, APPLICANTS.c.name, APPLICANTS.c.id_number)
                         .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id)
                         .where(CASES.c.id.in_(part)))
                people.update({r.id: person_context(r.name, r.id_number, r.id) for r in conn.execute(query)})
            if len(people) < len(case_ids):  # every row's case exists (a foreign key): the file is damaged
                missing = len(case_ids) - len(people)
                raise DataUnreadable(f"{missing} case(s) that messages are about could not be read back;"
                                     " run `chuding check`")
            for campaign_id in {row.campaign_id for row in rows} - campaigns.keys() - {None}:
                campaigns[campaign_id] = campaign_context(notice_of(conn, campaign_id))
            checklists = _checklists(conn, [row for row in rows if row.kind in PAPER_KINDS])
        return {row.id: {**campaigns.get(row.campaign_id, {}), **people.get(row.case_id, {}),
                         **checklists.get(row.id, {}), **_link(link, row.case_id)} for row in rows}

    return shared


def _link(link: Callable[[int], str] | None, case_id: int | None) -> dict[str, str]:
    return {"status_link": link(case_id)} if link is not None and case_id is not None else {}


def _checklists(conn: sa.Connection, rows: list[Any]) -> dict[int, dict[str, Any]]:
    """The paper checklist of each row's case (a teacher's has more), by row id."""
    case_ids = sorted({row.case_id for row in rows if row.case_id is not None})
    series: dict[int, tuple[int, str]] = {}
    for part in chunks(case_ids):
        query = sa.select(CASES.c.id, CASES.c.campaign_id, CASES.c.application).where(CASES.c.id.in_(part))
        series.update({r.id: (r.campaign_id, json.loads(r.application)["series"]) for r in conn.execute(query)})
    return {row.id: {"paper_items": paper_items(notice_of(conn, series[row.case_id][0]), series[row.case_id][1])}
            for row in rows if row.case_id in series}


def send_outbox(engine: sa.Engine, settings: NotificationSettings, clock: Clock,
                stopping: Callable[[], bool] | None = None, through: Channels | None = None) -> RelayReport:
    """One relay pass with the shared parts of the context wired in."""
    from workflow.usecases.links import link_maker

    return send_due(engine, settings, clock, shared_contexts(engine, link_maker(settings, clock.now())),
                    stopping, through)
