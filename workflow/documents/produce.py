"""The use cases behind `chuding docs`: each document from the data chuding holds.

Who may have a document is who may see its cases (a unit operator: their unit's). Full
ID numbers appear only in the documents for the applicant's own file (个人承诺书); the
others show them masked. Each document produced is an audit row: who, which, when.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from states import idnumber, values
from states.calendar import WorkingCalendar
from states.clock import in_beijing
from states.refusals import Refusal, Refused
from states.status import Status
from states.values import Actor, Role, unit_scope
from workflow.documents.render import render_docx, to_pdf
from workflow.inputs.fields import text_refusals
from workflow.store.audit import audit
from workflow.store.cases import LoadedCase, load_cases, load_visible
from workflow.store.tables import (
    CAMPAIGNS,
    CASES,
    HISTORY,
    MATERIALS,
    OBJECTIONS,
    PUBLICITIES,
    UNITS,
)
from workflow.usecases.access import Who, viewing

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Document:
    filename: str
    data: bytes
    media: str
    code: str | None = None  # the 评审表's verification code


def gender(id_number: str) -> str:
    """From the 17th character of the ID number: odd for men, even for women."""
    return "男" if int(idnumber.normalise(id_number)[16]) % 2 else "女"


def day(instant: datetime | date) -> str:
    value = in_beijing(instant).date() if isinstance(instant, datetime) else instant
    return f"{value.year}年{value.month}月{value.day}日"


def _person(case: LoadedCase, full_id: bool) -> dict[str, Any]:
    app, notice = case.view.application, case.view.notice
    highest = app.highest_full_time(notice.known_education_levels)
    return {
        "case": case.id, "name": app.name, "gender": gender(app.id_number),
        "id_number": app.id_number if full_id else idnumber.mask(app.id_number),
        "unit_name": case.view.unit.name, "series": app.series, "specialty": app.specialty,
        "work_started_on": day(app.work_started_on), "level": highest.level if highest else "",
        "school": highest.school if highest else "", "major": highest.major if highest else "",
        "qualification": notice.qualification(app.series, highest.level if highest else None),
        "campaign_title": notice.title,
    }


# --- one case ---------------------------------------------------------------------------

def _commitment(conn: sa.Connection, case: LoadedCase, now: datetime) -> dict[str, Any]:
    return {**_person(case, full_id=True), "commitment_text": case.view.notice.commitment_text,
            "blank_date": "　　　　年　　月　　日"}


def is_teacher(view: values.Case) -> bool:
    return view.application.series in view.notice.teacher_series


def _teacher_statement(conn: sa.Connection, case: LoadedCase, now: datetime) -> dict[str, Any]:
    if not is_teacher(case.view):
        raise Refused([Refusal("document.not_teacher",
                               f"师德师风情况说明只用于教师系列（{'、'.join(case.view.notice.teacher_series)}）",
                               "series")])
    return {**_person(case, full_id=False), "blank_date": "　　　　年　　月　　日"}


def _receipt(conn: sa.Connection, case: LoadedCase, now: datetime) -> dict[str, Any]:
    received = conn.execute(
        sa.select(HISTORY.c.effective_at, HISTORY.c.actor).where(HISTORY.c.case_id == case.id,
                                                                  HISTORY.c.event == "receive_paper")
        .order_by(HISTORY.c.id.desc())).first()
    if received is None:
        raise Refused([Refusal("document.not_received", "纸质材料尚未受理，不能出具回执", "state")])
    codes = set(conn.execute(sa.select(MATERIALS.c.code).where(MATERIALS.c.case_id == case.id,
                                                              MATERIALS.c.kind == "paper")).scalars())
    checklist = case.view.notice.paper_checklist(case.view.application.series)
    items = [{"number": n, "name": item.name} for n, item in enumerate((i for i in checklist if i.code in codes), 1)]
    contact = case.view.notice.contact
    return {**_person(case, full_id=False), "items": items, "received_by": received.actor,
            "received_at": f"{in_beijing(received.effective_at):%Y-%m-%d %H:%M}",
            "bureau_office": contact.office, "bureau_phone": contact.phone}


CASE_DOCUMENTS: dict[str, tuple[str, Callable[[sa.Connection, LoadedCase, datetime], dict[str, Any]]]] = {
    "commitment": ("个人承诺书", _commitment),
    "teacher_statement": ("师德师风情况说明", _teacher_statement),
    "paper_receipt": ("纸质材料受理回执", _receipt),
}


def case_document(engine: sa.Engine, who: Who, kind: str, case_id: int, now: datetime,
                  pdf: bool = False, folder: Path | None = None) -> Document:
    title, build = CASE_DOCUMENTS[kind]
    with engine.connect() as conn:
        actor = viewing(conn, who)
        context = build(conn, load_visible(conn, actor, case_id), now)
    return finish(engine, actor, kind, f"{title}-{case_id}", f"case {case_id}", render_docx(kind, context, folder), pdf)


# --- one unit ---------------------------------------------------------------------------

def _typed(rule: str, field: str, value: str) -> None:
    """A code typed in an address or on the command line, refused before any query sees
    it (PostgreSQL fails on a NUL) when it holds a control character or is absurdly long."""
    problems = text_refusals(rule, **{field: (value, 64)})
    if problems:
        raise Refused(problems)


def _unit(conn: sa.Connection, actor: Actor, code: str) -> Any:
    _typed("unit", "unit", code)
    unit = conn.execute(sa.select(UNITS).where(UNITS.c.code == code)).first()
    if unit is None or unit_scope(actor) not in (None, code):
        raise Refused([Refusal("unit.unknown", f"没有单位 {code}", "unit")])
    return unit


def _publicized(conn: sa.Connection, unit_id: int, ended: bool) -> list[tuple[LoadedCase, Any]]:
    """The unit's cases with a publicity: still running, or ended (closed or completed)."""
    query = (sa.select(CASES.c.id, PUBLICITIES).join(PUBLICITIES, PUBLICITIES.c.case_id == CASES.c.id)
             .where(CASES.c.unit_id == unit_id).order_by(CASES.c.id))
    done = sa.or_(PUBLICITIES.c.closed_at.is_not(None), PUBLICITIES.c.completed_at.is_not(None))
    query = query.where(done) if ended else query.where(~done, CASES.c.state == Status.UNIT_PUBLICITY)
    rows = conn.execute(query).all()
    return list(zip(load_cases(conn, [row.id for row in rows]), rows, strict=True))


def _period(case: LoadedCase, publicity: Any) -> tuple[date, date]:
    """The publicity's first and last day as chuding counts them (working days only)."""
    notice = case.view.notice
    start = publicity.started_at.astimezone(notice.timezone).date()
    first = WorkingCalendar(notice.calendar).nth_working_day(start, 1, notice.publicity_start_day_counts)
    last = (publicity.completes_at.astimezone(notice.timezone) - timedelta(seconds=1)).date()
    return first, last


def _unit_publicity(conn: sa.Connection, unit: Any, now: datetime) -> dict[str, Any]:
    found = _publicized(conn, unit.id, ended=False)
    if not found:
        raise Refused([Refusal("document.no_publicity", f"{unit.name} 目前没有处于公示期的申报", "unit")])
    periods = [_period(case, row) for case, row in found]
    notice = found[0][0].view.notice
    return {
        "unit_name": unit.name, "unit_contact": f"{unit.name}（电话：{unit.phone}）" if unit.phone else unit.name,
        "year": notice.year,
        "campaign_title": notice.title, "count": len(found),
        "cases": [{**_person(case, full_id=False), "number": n} for n, (case, _) in enumerate(found, 1)],
        "first_day": day(min(p[0] for p in periods)), "last_day": day(max(p[1] for p in periods)),
        "working_days": notice.publicity_working_days, "bureau_office": notice.contact.office,
        "bureau_contact": notice.contact.name, "bureau_phone": notice.contact.phone, "date": day(now),
    }


def _publicity_result(conn: sa.Connection, unit: Any, now: datetime) -> dict[str, Any]:
    found = _publicized(conn, unit.id, ended=True)
    if not found:
        raise Refused([Refusal("document.no_result", f"{unit.name} 还没有结束公示的申报", "unit")])
    # Each case's objections, and how many were upheld: one query for the unit's cases.
    objections = {r.case_id: (r.raised, r.upheld) for r in conn.execute(
        sa.select(OBJECTIONS.c.case_id, sa.func.count().label("raised"),
                  sa.func.count().filter(OBJECTIONS.c.upheld.is_(True)).label("upheld"))
        .join(CASES, CASES.c.id == OBJECTIONS.c.case_id).where(CASES.c.unit_id == unit.id)
        .group_by(OBJECTIONS.c.case_id))}
    rows = []
    for n, (case, publicity) in enumerate(found, 1):
        first, last = _period(case, publicity)
        raised, upheld = objections.get(case.id, (0, 0))
        outcome = ("无异议" if not raised else "有异议，经核实异议成立" if upheld
                   else "有异议，经核实异议不成立")
        rows.append({**_person(case, full_id=False), "number": n, "period": f"{day(first)}至{day(last)}",
                     "outcome": outcome})
    periods = sorted({r["period"] for r in rows})
    return {"unit_name": unit.name, "count": len(rows), "cases": rows, "period": "、".join(periods),
            "opinion": found[0][0].view.notice.unit_opinion_text, "date": day(now)}


UNIT_DOCUMENTS = {"unit_publicity": ("推荐单位公示", _unit_publicity),
                  "publicity_result": ("推荐单位公示结果", _publicity_result)}


def unit_document(engine: sa.Engine, who: Who, kind: str, unit_code: str, now: datetime,
                  pdf: bool = False, folder: Path | None = None) -> Document:
    title, build = UNIT_DOCUMENTS[kind]
    with engine.connect() as conn:
        actor = viewing(conn, who)
        context = build(conn, _unit(conn, actor, unit_code), now)
    return finish(engine, actor, kind, f"{title}-{unit_code}", f"unit {unit_code}",
                   render_docx(kind, context, folder), pdf)


# --- one campaign -------------------------------------------------------------------------

def _confirmed(conn: sa.Connection, campaign: str, now: datetime) -> dict[str, Any]:
    _typed("campaign", "campaign", campaign)
    row = conn.execute(sa.select(CAMPAIGNS.c.id).where(CAMPAIGNS.c.code == campaign)).first()
    if row is None:
        raise Refused([Refusal("campaign.unknown", f"没有年度批次 {campaign}", "campaign")])
    # Joined, not an IN list of ids: a campaign may confirm more cases than a statement takes parameters.
    confirmed = (sa.select(CASES.c.id, sa.func.max(HISTORY.c.effective_at).label("at"))
                 .join(HISTORY, HISTORY.c.case_id == CASES.c.id)
                 .where(CASES.c.campaign_id == row.id, CASES.c.state == Status.CONFIRMED, HISTORY.c.event == "confirm")
                 .group_by(CASES.c.id).order_by(CASES.c.id))
    confirmed_at = {r.id: r.at for r in conn.execute(confirmed)}
    cases = load_cases(conn, list(confirmed_at))
    notice = cases[0].view.notice if cases else None
    return {"year": notice.year if notice else "", "campaign_title": notice.title if notice else campaign,
            "issuer": notice.issuer if notice else "", "count": len(cases), "date": day(now),
            "cases": [{**_person(c, full_id=False), "number": n, "confirmed_on": day(confirmed_at[c.id])}
                      for n, c in enumerate(cases, 1)]}


def confirmed_list(engine: sa.Engine, who: Who, campaign: str, now: datetime, as_excel: bool = False,
                   pdf: bool = False, folder: Path | None = None) -> Document:
    """确认名单: the campaign's confirmed cases, for the bureau's decision (county staff)."""
    from workflow.usecases.access import require_role

    with engine.connect() as conn:
        actor = viewing(conn, who)
        require_role(actor, Role.COUNTY_REVIEWER, Role.COUNTY_CLERK, Role.COUNTY_APPROVER, Role.ADMINISTRATOR)
        context = _confirmed(conn, campaign, now)
    if as_excel:
        return finish(engine, actor, "confirmed_list", f"确认名单-{campaign}", f"campaign {campaign}",
                       _confirmed_xlsx(context), False, XLSX, ".xlsx")
    return finish(engine, actor, "confirmed_list", f"确认名单-{campaign}", f"campaign {campaign}",
                   render_docx("confirmed_list", context, folder), pdf)


def _confirmed_xlsx(context: dict[str, Any]) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from workflow.inputs.sheets import append_row

    book = Workbook()
    sheet = book.active
    sheet.title = "确认名单"
    headers = ("序号", "姓名", "性别", "推荐单位", "申报系列", "专业", "确认资格", "确认时间")
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for c in context["cases"]:
        append_row(sheet, [c["number"], c["name"], c["gender"], c["unit_name"], c["series"], c["specialty"],
                           c["qualification"], c["confirmed_on"]])
    for letter, width in zip("ABCDEFGH", (6, 14, 6, 24, 14, 18, 16, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def finish(engine: sa.Engine, actor: Actor, kind: str, name: str, subject: str, data: bytes, pdf: bool,
            media: str = DOCX, suffix: str = ".docx") -> Document:
    """The document as asked (PDF when ``pdf``), recorded once it exists."""
    if pdf:
        data, media, suffix = to_pdf(data), PDF, ".pdf"
    with engine.begin() as conn:
        audit(conn, actor.login, f"document.{kind}", subject, format=suffix.lstrip("."))
    return Document(file_name(name) + suffix, data, media)


def file_name(text: str) -> str:
    """A document's name made from data (a unit's code, a campaign's) fit to be a file's
    name: no folder separators, no leading dot, nothing a shell or Windows reads specially."""
    cleaned = "".join("_" if c in '/\\:*?"<>|' or not c.isprintable() else c for c in text)
    return cleaned.lstrip(". ")[:120] or "document"
