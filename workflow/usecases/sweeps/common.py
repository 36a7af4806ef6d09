"""What the sweeps share: where a case's applicant is reached, and holding other writers off."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from workflow.store.cases import chunks
from workflow.store.tables import (
    APPLICANTS,
    CASES,
)


def reach(conn: sa.Connection, case_ids: list[int]) -> dict[int, Any]:
    """Where each case's applicant is reached, by case."""
    found: dict[int, Any] = {}
    for part in chunks(case_ids):
        query = (sa.select(CASES.c.id, APPLICANTS.c.email, APPLICANTS.c.phone)
                 .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id).where(CASES.c.id.in_(part)))
        found.update({row.id: row for row in conn.execute(query)})
    return found


def lock_cases(conn: sa.Connection) -> None:
    """Hold other writers of cases off for the sweep's few statements, so that each sees
    the same cases (SQLite has one writer at a time already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE application_case IN SHARE ROW EXCLUSIVE MODE"))
