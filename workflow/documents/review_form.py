"""The 《专业技术职务任职资格评审表》: two A4 pages for duplex printing, generated after
the online review. Every page carries a watermark (campaign, case number, 仅供申报使用)
and the verification code the paper desk checks at `receive-paper`, also as a QR code.
Made as PDF directly by WeasyPrint from an editable HTML template, with the Noto CJK
fonts embedded. It is for the applicant's own file: the ID number is shown in full."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from states import idnumber, values
from states.refusals import Refusal, Refused
from states.status import Status
from workflow.documents.produce import PDF, Document, day, finish, gender
from workflow.documents.render import TEMPLATES
from workflow.store.cases import LoadedCase, load_case, load_visible
from workflow.store.materials import MaterialStore
from workflow.store.tables import HISTORY, MATERIAL_FILES
from workflow.usecases.access import Who, viewing

SUMMARY_EXCERPT = 700  # characters of the work summary the second page has room for


def review_form(engine: sa.Engine, who: Who, case_id: int, now: datetime, folder: Path | None = None,
                store: MaterialStore | None = None) -> Document:
    """The form, its photo box carrying the case's uploaded 一寸 photo (read from ``store``)."""
    with engine.connect() as conn:
        actor = viewing(conn, who)
        case = load_visible(conn, actor, case_id)
        if not review_form_exists(case.view):
            raise Refused([Refusal("document.not_approved", "评审表在网上审核通过后才能生成", "state")])
        approved = conn.execute(sa.select(sa.func.max(HISTORY.c.effective_at)).where(
            HISTORY.c.case_id == case_id, HISTORY.c.event == "approve_online")).scalar_one()
        photos = [s.key for s in case.view.notice.slots if s.photo and s.each == "case"]
        photo = conn.execute(sa.select(MATERIAL_FILES.c.sha256, MATERIAL_FILES.c.media_type).where(
            MATERIAL_FILES.c.case_id == case_id, MATERIAL_FILES.c.slot.in_(photos), MATERIAL_FILES.c.part == 1,
            MATERIAL_FILES.c.replaced_at.is_(None))).first()
    values = context(case, approved)
    if photo is not None and store is not None:
        values["photo"] = f"data:{photo.media_type};base64,{base64.b64encode(store.get(photo.sha256)).decode()}"
    made = finish(engine, actor, "review_form", f"评审表-{case.id}", f"case {case.id}",
                  render_pdf(values, folder), False, PDF, ".pdf")
    return replace(made, code=case.view.review_form_code)


def review_form_exists(view: values.Case) -> bool:
    """Before an approval there is no form; a case that ended without confirmation needs none."""
    return view.review_form_code is not None and not (view.state.is_final and view.state is not Status.CONFIRMED)


def printed_code(engine: sa.Engine, case_id: int) -> str | None:
    """The code on the case's current 评审表, as the paper desk reads it off the form."""
    with engine.connect() as conn:
        return load_case(conn, case_id).view.review_form_code


def context(case: LoadedCase, approved: datetime) -> dict[str, Any]:
    import segno

    app, notice = case.view.application, case.view.notice
    code = str(case.view.review_form_code)
    number = idnumber.normalise(app.id_number)
    ranking = notice.known_education_levels
    educations = sorted(app.educations, key=lambda e: (ranking.index(e.level) if e.level in ranking else -1,
                                                       e.graduated_on))
    highest = app.highest_full_time(ranking)
    summary = app.work_summary.strip()
    qr = segno.make(f"chuding:{case.campaign_code}:{case.id}:{code}", error="m")
    return {
        "case": case.id, "code": code, "campaign": case.campaign_code, "campaign_title": notice.title,
        "approved_on": day(approved), "qr": qr.svg_inline(scale=3, border=1),
        "name": app.name, "gender": gender(app.id_number), "birth": f"{number[6:10]}年{int(number[10:12])}月",
        "id_number": number, "work_started_on": day(app.work_started_on), "unit_name": case.view.unit.name,
        "unit_level": case.view.unit.level, "series": app.series, "specialty": app.specialty,
        "qualification": notice.qualification(app.series, highest.level if highest else None),
        "educations": [{"level": e.level, "full_time": "是" if e.full_time else "否", "school": e.school,
                        "major": e.major, "graduated_on": day(e.graduated_on)} for e in educations],
        "assessments": [{"year": a.year, "grade": a.grade} for a in app.assessments],
        "continuing": [{"year": c.year, "public_hours": f"{c.public_hours:g}", "professional_hours":
                        f"{c.professional_hours:g}"} for c in app.continuing_education],
        "credit": bool(app.teacher_credit_certificate),
        "summary": summary[:SUMMARY_EXCERPT] + ("……" if len(summary) > SUMMARY_EXCERPT else ""),
        "photo": None,  # a data: address of the uploaded photo, when there is one
    }


def render_pdf(values: dict[str, Any], folder: Path | None = None) -> bytes:
    import jinja2
    import weasyprint

    loader = jinja2.FileSystemLoader([str(f) for f in (folder, TEMPLATES) if f is not None])
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=True)
    html = env.get_template("review_form.html").render(values)
    return bytes(weasyprint.HTML(string=html).write_pdf())

