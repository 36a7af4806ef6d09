"""Plain domain applications for the rules' tests."""

from __future__ import annotations

import dataclasses
from datetime import date

from states.application import Application, Assessment, ContinuingEducation, Education
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
        materials={"id_scan": "id.pdf", "photo": "p.jpg", "commitment_scan": "c.pdf"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
