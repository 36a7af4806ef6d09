"""An application as stored on its case: the declared facts as JSON (files live in the
material table), and back. Light to import: every reader of a case needs it."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from states import application as domain


def application_json(app: domain.Application) -> str:
    """The declared facts stored on the case; files live in the material tables."""
    data = asdict(app)
    return json.dumps(data, ensure_ascii=False, default=str)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def application_from_json(text: str) -> domain.Application:
    data: dict[str, Any] = json.loads(text)
    return domain.Application(
        id_number=data["id_number"],
        name=data["name"],
        series=data["series"],
        specialty=data["specialty"],
        work_started_on=date.fromisoformat(data["work_started_on"]),
        educations=tuple(
            domain.Education(**{**e, "graduated_on": date.fromisoformat(e["graduated_on"]),
                                "chsi_record_date": _day(e.get("chsi_record_date"))})
            for e in data["educations"]
        ),
        assessments=tuple(domain.Assessment(**a) for a in data["assessments"]),
        continuing_education=tuple(
            domain.ContinuingEducation(**c) for c in data["continuing_education"]
        ),
        retired=data["retired"],
        teacher_credit_certificate=data["teacher_credit_certificate"],
        ce_exemption=data["ce_exemption"],
        work_summary=data["work_summary"],
        commitment_text=data["commitment_text"],
    )
