"""The applicant's own page, reached by the signed link in their messages: where the case
stands, what is still missing, the next deadline and whom to ask. No account; masked
data only; a link that is malformed, tampered with or expired shows nothing at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications.settings import NotificationSettings
from states.materials import places
from workflow.reads.cases import report_of
from workflow.store.cases import CaseNotFound, load_case
from workflow.usecases.links import verify


def masked_name(name: str) -> str:
    """The surname and a star per other character: 王*, 艾****."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def status_by_link(engine: sa.Engine, settings: NotificationSettings, token: str,
                   now: datetime) -> dict[str, Any] | None:
    if settings.link_secret is None:
        return None
    case_id = verify(settings.link_secret.get_secret_value(), token, now)
    if case_id is None:
        return None
    with engine.connect() as conn:
        try:
            case = load_case(conn, case_id)
        except CaseNotFound:
            return None
        report = report_of(conn, case, now)
    contact = case.view.notice.contact
    coming = [n for n in report["next"] if n["until"] is not None and n["until"] >= now]
    return {
        "case": report["case"], "name": masked_name(report["name"]), "id_number": report["id_number"],
        "state_label": report["state_label"], "final": case.view.state.is_final,
        "returned": [{"name": p.label, "reason": case.view.returned[p.key]}
                     for p in places(case.view.application, case.view.notice) if p.key in case.view.returned],
        "missing": sorted({m["message"] for m in report["missing"]}),
        "next": min(coming, key=lambda n: n["until"]) if coming else None,
        "contact": {"office": contact.office, "name": contact.name, "phone": contact.phone,
                    "paper_address": contact.paper_address, "paper_hours": contact.paper_hours},
    }
