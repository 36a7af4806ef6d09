"""Reading one case, with everything its guards need, in a few set queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from states import machine
from states.application import Unit
from states.notice import Notice
from states.status import Status
from workflow import tables as t
from workflow.notices import cached_notice
from workflow.records import application_from_json

# The tables as Core objects: the hot path speaks SQL, not the ORM's unit of work.
C: sa.Table = t.Case.__table__  # type: ignore[attr-defined]
A: sa.Table = t.Applicant.__table__  # type: ignore[attr-defined]
U: sa.Table = t.Unit.__table__  # type: ignore[attr-defined]
P: sa.Table = t.Publicity.__table__  # type: ignore[attr-defined]
O: sa.Table = t.Objection.__table__  # type: ignore[attr-defined]  # noqa: E741
B: sa.Table = t.Ban.__table__  # type: ignore[attr-defined]
M: sa.Table = t.Material.__table__  # type: ignore[attr-defined]
CAMPAIGN: sa.Table = t.Campaign.__table__  # type: ignore[attr-defined]
H: sa.Table = t.History.__table__  # type: ignore[attr-defined]

CHUNK = 500  # ids per IN (...) list, well under every driver's limit on parameters


def chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


class CaseNotFound(LookupError):
    def __init__(self, case_id: int):
        super().__init__(f"case {case_id} does not exist")


def _count(condition: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(O).where(O.c.case_id == C.c.id, condition).scalar_subquery()


_CASE = (
    sa.select(
        C.c.id, C.c.state, C.c.version, C.c.application, C.c.campaign_id,
        A.c.id_number, A.c.phone, A.c.email,
        U.c.code.label("unit_code"), U.c.name.label("unit_name"),
        U.c.level.label("unit_level"), U.c.type.label("unit_type"),
        P.c.started_at, P.c.completes_at, P.c.closed_at, P.c.completed_at,
        CAMPAIGN.c.notice_sha256, CAMPAIGN.c.code.label("campaign_code"),
        _count(O.c.upheld.is_(None)).label("open_objections"),
        _count(O.c.upheld.is_(True)).label("upheld_objections"),
        sa.select(sa.func.count()).select_from(B).where(B.c.case_id == C.c.id)
        .scalar_subquery().label("fraud_reported"),
    )
    .join(A, A.c.id == C.c.applicant_id)
    .join(U, U.c.id == C.c.unit_id)
    .join(CAMPAIGN, CAMPAIGN.c.id == C.c.campaign_id)
    .outerjoin(P, P.c.case_id == C.c.id)
    .where(C.c.id == sa.bindparam("case_id"))
)
_BANS = sa.select(B.c.first_year, B.c.last_year).where(
    B.c.id_number == sa.bindparam("id_number"), B.c.lifted_at.is_(None)
)
_FILES = sa.select(M.c.code, M.c.reference).where(
    M.c.case_id == sa.bindparam("case_id"), M.c.kind == "online"
)
_NOTICES: dict[str, Notice] = {}


@dataclass(frozen=True)
class LoadedCase:
    """A case as the guards see it, plus the row facts the handlers write back."""

    id: int
    version: int
    campaign_id: int
    campaign_code: str
    phone: str | None
    email: str | None
    view: machine.Case


def notice_for(conn: sa.Connection, campaign_id: int, sha: str) -> Notice:
    if sha not in _NOTICES:
        text, source = conn.execute(
            sa.select(CAMPAIGN.c.notice_text, CAMPAIGN.c.source).where(CAMPAIGN.c.id == campaign_id)
        ).one()
        _NOTICES[sha] = cached_notice(text, source)
    return _NOTICES[sha]


def notice_of(conn: sa.Connection, campaign_id: int) -> Notice:
    sha = conn.execute(sa.select(CAMPAIGN.c.notice_sha256).where(CAMPAIGN.c.id == campaign_id)).scalar_one()
    return notice_for(conn, campaign_id, sha)


def loaded_notices(conn: sa.Connection) -> list[tuple[int, Notice]]:
    """Every loaded campaign's id and notice, oldest first."""
    rows = conn.execute(sa.select(CAMPAIGN.c.id, CAMPAIGN.c.notice_sha256).order_by(CAMPAIGN.c.id)).all()
    return [(row.id, notice_for(conn, row.id, row.notice_sha256)) for row in rows]


def banned_years(conn: sa.Connection, id_number: str) -> frozenset[int]:
    rows = conn.execute(_BANS, {"id_number": id_number})
    return frozenset(y for first, last in rows for y in range(first, last + 1))


def load_case(conn: sa.Connection, case_id: int) -> LoadedCase:
    row = conn.execute(_CASE, {"case_id": case_id}).one_or_none()
    if row is None:
        raise CaseNotFound(case_id)
    files = {code: ref for code, ref in conn.execute(_FILES, {"case_id": case_id})}
    view = machine.Case(
        state=Status(row.state),
        application=application_from_json(row.application, files),
        unit=Unit(row.unit_code, row.unit_name, row.unit_level, row.unit_type),
        notice=notice_for(conn, row.campaign_id, row.notice_sha256),
        publicity=machine.Publicity(
            row.started_at, row.completes_at, row.closed_at, row.completed_at,
            row.open_objections, row.upheld_objections,
        ),
        banned_years=banned_years(conn, row.id_number),
        fraud_reported=bool(row.fraud_reported),
    )
    return LoadedCase(
        row.id, row.version, row.campaign_id, row.campaign_code, row.phone, row.email, view
    )
