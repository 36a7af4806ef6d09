"""Reading one case, with everything its guards need, in a few set queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from states import values
from states.application import Unit
from states.notice import Notice
from states.status import Status
from states.values import Actor, unit_scope
from workflow.inputs.notices import cached_notice
from workflow.store.form_codes import form_code
from workflow.store.sql import MAX_ID, json_pairs, pairs
from workflow.store.stored_application import application_from_json
from workflow.store.tables import (
    APPLICANTS,
    BANS,
    CAMPAIGNS,
    CASES,
    HISTORY,
    MATERIAL_FILES,
    OBJECTIONS,
    PUBLICITIES,
    UNITS,
)

CHUNK = 500  # ids per IN (...) list, well under every driver's limit on parameters
T = TypeVar("T")


def chunks(items: list[T]) -> Iterator[list[T]]:
    """``items`` a bounded number at a time: an IN list a database takes whatever the count."""
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


class CaseNotFound(LookupError):
    def __init__(self, case_id: int):
        super().__init__(f"case {case_id} does not exist")


def _count(condition: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    objections = sa.select(sa.func.count()).select_from(OBJECTIONS)
    return objections.where(OBJECTIONS.c.case_id == CASES.c.id, condition).scalar_subquery()


_CASES = (
    sa.select(
        CASES.c.id, CASES.c.state, CASES.c.version, CASES.c.application, CASES.c.campaign_id,
        APPLICANTS.c.id_number, APPLICANTS.c.phone, APPLICANTS.c.email,
        UNITS.c.code.label("unit_code"), UNITS.c.name.label("unit_name"),
        UNITS.c.level.label("unit_level"), UNITS.c.type.label("unit_type"),
        PUBLICITIES.c.started_at, PUBLICITIES.c.completes_at, PUBLICITIES.c.closed_at, PUBLICITIES.c.completed_at,
        CAMPAIGNS.c.notice_sha256, CAMPAIGNS.c.code.label("campaign_code"), CAMPAIGNS.c.form_key,
        sa.select(sa.func.max(HISTORY.c.id)).where(HISTORY.c.case_id == CASES.c.id, HISTORY.c.event == "approve_online")
        .scalar_subquery().label("approval"),
        _count(OBJECTIONS.c.upheld.is_(None)).label("open_objections"),
        _count(OBJECTIONS.c.upheld.is_(True)).label("upheld_objections"),
        sa.select(sa.func.count()).select_from(BANS).where(BANS.c.case_id == CASES.c.id)
        .scalar_subquery().label("fraud_reported"),
        # The person's bans in force and the pages of the case's current files, as JSON.
        sa.select(json_pairs(BANS.c.first_year, BANS.c.last_year))
        .where(BANS.c.id_number == APPLICANTS.c.id_number, BANS.c.lifted_at.is_(None))
        .scalar_subquery().label("bans"),
        sa.select(json_pairs(MATERIAL_FILES.c.slot, MATERIAL_FILES.c.pages))
        .where(MATERIAL_FILES.c.case_id == CASES.c.id, MATERIAL_FILES.c.replaced_at.is_(None))
        .scalar_subquery().label("files"),
    )
    .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id)
    .join(UNITS, UNITS.c.id == CASES.c.unit_id)
    .join(CAMPAIGNS, CAMPAIGNS.c.id == CASES.c.campaign_id)
    .outerjoin(PUBLICITIES, PUBLICITIES.c.case_id == CASES.c.id)
)
_CASE = _CASES.where(CASES.c.id == sa.bindparam("case_id"))


@dataclass(frozen=True)
class LoadedCase:
    """A case as the guards see it, plus the row facts the handlers write back."""

    id: int
    version: int
    campaign_id: int
    campaign_code: str
    phone: str | None
    email: str | None
    view: values.Case


def notice_for(conn: sa.Connection, campaign_id: int, sha: str) -> Notice:
    def read() -> tuple[str, str]:
        text, source = conn.execute(
            sa.select(CAMPAIGNS.c.notice_text, CAMPAIGNS.c.source).where(CAMPAIGNS.c.id == campaign_id)
        ).one()
        return text, source

    return cached_notice(sha, read)


def notice_of(conn: sa.Connection, campaign_id: int) -> Notice:
    sha = conn.execute(sa.select(CAMPAIGNS.c.notice_sha256).where(CAMPAIGNS.c.id == campaign_id)).scalar_one()
    return notice_for(conn, campaign_id, sha)


def loaded_notices(conn: sa.Connection) -> list[tuple[int, Notice]]:
    """Every loaded campaign's id and notice, oldest first."""
    rows = conn.execute(sa.select(CAMPAIGNS.c.id, CAMPAIGNS.c.notice_sha256).order_by(CAMPAIGNS.c.id)).all()
    return [(row.id, notice_for(conn, row.id, row.notice_sha256)) for row in rows]


def _returned(conn: sa.Connection, case_id: int) -> dict[str, str]:
    """The places the latest return named, less those uploaded again since, with why."""
    rows = conn.execute(sa.select(HISTORY.c.event, HISTORY.c.details).where(
        HISTORY.c.case_id == case_id, HISTORY.c.event.in_(("return_for_correction", "material_added", "amend")))
        .order_by(HISTORY.c.id.desc())).all()
    replaced: set[str] = set()
    for row in rows:
        details = json.loads(row.details)
        if row.event != "return_for_correction":  # an upload, or a re-import with its files
            replaced.update([details["slot"]] if "slot" in details else details.get("files", {}))
            continue
        return {key: why for key, why in details.get("slots", {}).items() if key not in replaced}
    return {}


def load_case(conn: sa.Connection, case_id: int) -> LoadedCase:
    row = conn.execute(_CASE, {"case_id": case_id}).one_or_none() if 1 <= case_id <= MAX_ID else None
    if row is None:
        raise CaseNotFound(case_id)
    return _loaded(conn, row)


def hold_case(conn: sa.Connection, case_id: int) -> None:
    """The case's row held for the caller's transaction (PostgreSQL; SQLite has one writer
    at a time already): changes to one case's files, and a submit, happen one after the
    other, and what this transaction reads of the case next is what it writes against."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(CASES.c.id).where(CASES.c.id == case_id).with_for_update())


def load_visible(conn: sa.Connection, actor: Actor, case_id: int) -> LoadedCase:
    """The case as ``actor`` may see it: to a unit operator another unit's case does not
    exist (``CaseNotFound``), in every use case as in every list."""
    case = load_case(conn, case_id)
    if unit_scope(actor) not in (None, case.view.unit.code):
        raise CaseNotFound(case_id)
    return case


def load_cases(conn: sa.Connection, case_ids: list[int]) -> list[LoadedCase]:
    """Many cases with one query per ``CHUNK`` of them, in the order given (a document of
    a unit's 200 cases, a campaign's list); ids that do not exist are left out."""
    found: dict[int, LoadedCase] = {}
    for part in chunks(case_ids):
        found.update((row.id, _loaded(conn, row)) for row in conn.execute(_CASES.where(CASES.c.id.in_(part))))
    return [found[i] for i in case_ids if i in found]


def _loaded(conn: sa.Connection, row: Any) -> LoadedCase:
    files: dict[str, int] = {}
    for place, pages in pairs(row.files):
        files[place] = files.get(place, 0) + pages
    state = Status(row.state)
    view = values.Case(
        state=state,
        application=application_from_json(row.application),
        unit=Unit(row.unit_code, row.unit_name, row.unit_level, row.unit_type),
        notice=notice_for(conn, row.campaign_id, row.notice_sha256),
        publicity=values.Publicity(
            row.started_at, row.completes_at, row.closed_at, row.completed_at,
            row.open_objections, row.upheld_objections,
        ),
        banned_years=frozenset(y for first, last in pairs(row.bans) for y in range(first, last + 1)),
        fraud_reported=bool(row.fraud_reported),
        review_form_code=form_code(row.form_key, row.id, row.approval) if row.approval else None,
        files=files,
        returned=_returned(conn, row.id) if state is Status.RETURNED else {},
    )
    return LoadedCase(
        row.id, row.version, row.campaign_id, row.campaign_code, row.phone, row.email, view
    )
