"""Plain domain applications for the rules' tests."""

from __future__ import annotations

import dataclasses
from datetime import date

from states.application import Application, Assessment, ContinuingEducation, Education
from states.materials import places
from tests.support.helpers import ID_A, NOTICE

SUMMARY = "字" * 2000


def applicant(**changes: object) -> Application:
    base = Application(
        id_number=ID_A, name="艾力", series="工程技术", specialty="水利工程",
        work_started_on=date(2022, 7, 15),
        educations=(Education("本科", True, "新疆农业大学", "水利", date(2022, 6, 30), "d.pdf", "c.pdf"),),
        assessments=(Assessment(2022, "合格", "a22.pdf"), Assessment(2023, "优秀", "a23.pdf")),
        continuing_education=(
            ContinuingEducation(2023, 30, 60, "ce23.pdf"), ContinuingEducation(2024, 30, 60, "ce24.pdf"),
        ),
        work_summary=SUMMARY, commitment_text=NOTICE.commitment_text,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def every_file(app: Application, provider: str | None = None) -> dict[str, int]:
    """The pages a case holds when every needed slot (of ``provider``) has its files."""
    return {p.key: p.slot.pages for p in places(app, NOTICE, provider) if p.needed}
