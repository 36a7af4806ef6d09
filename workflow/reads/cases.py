"""What staff read about cases: the list and one case's report, as the person asking may
see them (a unit operator sees only their unit's cases, anywhere)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from notifications.addresses import masked
from states import idnumber
from states.checks import checks
from states.machine import CHECKLIST_EVENTS, Prospect, prospects
from states.materials import summary_length
from states.process import PROCESS
from states.status import Status
from states.text import control_character
from states.values import Case, Event, Role, unit_scope
from workflow.errors import BadUsage
from workflow.store.cases import LoadedCase, load_visible
from workflow.store.tables import APPLICANTS, CAMPAIGNS, CASES, HISTORY, UNITS
from workflow.usecases.access import Who, viewing
from workflow.usecases.materials import materials_of


def _state(value: str) -> dict[str, str]:
    return {"state": value, "state_label": Status(value).label}


def _list_cases(
    conn: sa.Connection, state: str | None, unit: str | None, campaign: str | None, limit: int,
    text: str | None = None, past: int | None = None, oldest: bool = False, masked: bool = True,
) -> list[dict[str, Any]]:
    """Newest first (``oldest``: oldest first); ``text`` finds a case number or part of a
    name; ``past`` pages on (the cases beyond that number in the chosen order), which
    stays fast however many there are."""
    for name, value in (("state", state), ("unit", unit), ("campaign", campaign), ("text", text)):
        bad = control_character(value or "", multiline=False)
        if bad is not None:  # typed in a form; the database would choke on a NUL
            raise BadUsage(f"不能含控制字符或不可见的格式字符（{bad}）", name)
    if state is not None and state not in {s.value for s in Status}:
        known = "、".join(f"{s.label} {s.value}" for s in Status)
        raise BadUsage(f"未知的状态 {state!r}（可选：{known}）", "state")
    for name, noun, table, value in (("unit", "推荐单位", UNITS, unit), ("campaign", "年度批次", CAMPAIGNS, campaign)):
        if value is not None and conn.execute(sa.select(table.c.id).where(table.c.code == value)).first() is None:
            raise BadUsage(f"没有登记代码为 {value!r} 的{noun}", name)
    query = (
        sa.select(CASES.c.id, CAMPAIGNS.c.code, APPLICANTS.c.name, APPLICANTS.c.id_number, UNITS.c.code.label("unit"),
                  CASES.c.state, CASES.c.updated_at)
        .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id).join(UNITS, UNITS.c.id == CASES.c.unit_id)
        .join(CAMPAIGNS, CAMPAIGNS.c.id == CASES.c.campaign_id)
        .order_by(CASES.c.id if oldest else CASES.c.id.desc()).limit(limit)
    )
    if state:
        query = query.where(CASES.c.state == state)
    if unit:
        query = query.where(UNITS.c.code == unit)
    if campaign:
        query = query.where(CAMPAIGNS.c.code == campaign)
    if text and text.strip():
        query = query.where(_matching(text.strip()))
    if past is not None:
        query = query.where(CASES.c.id > past if oldest else CASES.c.id < past)
    return [
        {"case": r.id, "campaign": r.code, "name": r.name,
         "id_number": idnumber.mask(r.id_number) if masked else r.id_number,
         "unit": r.unit, **_state(r.state), "updated_at": r.updated_at}
        for r in conn.execute(query)
    ]


def _matching(text: str) -> sa.ColumnElement[bool]:
    """A case number, or part of the applicant's name (typed as is: % and _ are letters)."""
    name = APPLICANTS.c.name.contains(text, autoescape=True)
    return sa.or_(CASES.c.id == int(text), name) if text.isdecimal() and len(text) < 10 else name


def report_of(conn: sa.Connection, case: LoadedCase, now: datetime) -> dict[str, Any]:
    """A case already loaded, as staff read it: the caller has settled that it may be
    seen (``case_for`` by the actor's scope, the public status by its signed link)."""
    case_id, view = case.id, case.view
    name = conn.execute(
        sa.select(APPLICANTS.c.name).join(CASES, CASES.c.applicant_id == APPLICANTS.c.id).where(CASES.c.id == case_id)
    ).scalar_one()
    open_ = prospects(view, now)
    planned = [p for p in open_ if p.planned]
    anytime = [p for p in open_ if not p.planned]
    history = conn.execute(sa.select(HISTORY).where(HISTORY.c.case_id == case_id).order_by(HISTORY.c.id))
    p = view.publicity
    return {
        "case": case.id, "campaign": case.campaign_code, "name": name,
        "id_number": idnumber.mask(view.application.id_number), "unit": view.unit.code,
        **_state(view.state.value), "version": case.version,
        "publicity": None if p.started_at is None else {
            "started_at": p.started_at, "completes_at": p.completes_at, "closed_at": p.closed_at,
            "open_objections": p.open_objections, "upheld_objections": p.upheld_objections,
        },
        "missing": [{"for": p.event.value, "rule": r.rule, "field": r.field, "message": r.message}
                    for p in open_ if p.event in CHECKLIST_EVENTS for r in p.missing],
        "next": [_next(p) for p in planned],
        "also": sorted(p.event.value for p in anytime),
        "also_roles": {p.event.value: _roles(p) for p in anytime},
        "history": [
            {**{k: v for k, v in h._mapping.items() if k not in ("case_id", "details")},
             "details": json.loads(h.details)}
            for h in history
        ],
    }


def _roles(p: Prospect) -> list[str]:
    return sorted(r.value for r in p.roles)


def _next(p: Prospect) -> dict[str, Any]:
    return {"event": p.event.value, "roles": _roles(p), "until": p.until,
            "blocked_by": [r.message for r in p.blocked_by]}


def cases_for(engine: sa.Engine, who: Who, state: str | None = None, campaign: str | None = None,
              limit: int = 500, unit: str | None = None, text: str | None = None,
              past: int | None = None, oldest: bool = False, full_ids: bool = False) -> list[dict[str, Any]]:
    """The case list as ``who`` may see it: a unit operator's is their unit's, whatever
    unit they ask for. ID numbers are masked; in full only for an administrator (whose
    export records it first)."""
    with engine.connect() as conn:
        actor = viewing(conn, who, Role.ADMINISTRATOR) if full_ids else viewing(conn, who)
        masked = not full_ids
        return _list_cases(conn, state, unit_scope(actor) or unit, campaign, limit, text, past, oldest, masked)


def case_for(engine: sa.Engine, who: Who, case_id: int, now: datetime) -> dict[str, Any]:
    """One case as ``who`` may see it, with the events they may do on it now and what each
    takes, and its files: the forms of a page."""
    with engine.connect() as conn:
        actor = viewing(conn, who)
        case = load_visible(conn, actor, case_id)
        report = report_of(conn, case, now)
        files = materials_of(conn, actor, case)
        contact = conn.execute(sa.select(APPLICANTS.c.phone, APPLICANTS.c.email)
                               .join(CASES, CASES.c.applicant_id == APPLICANTS.c.id).where(CASES.c.id == case_id)).one()
    mine = [e for e in [n["event"] for n in report["next"]] + report["also"]
            if actor.role in PROCESS[Event(e)].roles]
    view = case.view
    return {**report, "actions": [{"event": e, "takes": list(PROCESS[Event(e)].takes)} for e in mine],
            "paper_checklist": [{"code": i.code, "name": i.name}
                                for i in view.notice.paper_checklist(view.application.series)],
            "unit_opinion": view.notice.unit_opinion_text, "application": _application(view.application),
            "ban_years": view.notice.ban_years,
            "documents": _documents(view, {h["event"] for h in report["history"]}),
            "materials": files,
            "checks": [{"name": c.name, "found": c.found, "ok": c.ok}
                       for c in checks(view.application, view.unit, view.notice, view.banned_years)],
            "contact": {"phone": masked(contact.phone) if contact.phone else None,
                        "email": masked(contact.email) if contact.email else None},
            "work_summary": {"text": view.application.work_summary,
                             "length": summary_length(view.application.work_summary),
                             "min": view.notice.summary_min_chars, "max": view.notice.summary_max_chars}}


def _documents(view: Case, events: set[str]) -> list[dict[str, Any]]:
    """The documents the case page offers: each only where it applies now (no 师德师风
    for an engineer, no 回执 before receipt, no 评审表 before approval); ``unit`` marks the
    unit's own, addressed by its code."""
    from workflow.documents.produce import is_teacher
    from workflow.documents.review_form import review_form_exists

    p = view.publicity
    offered = [
        ("review_form", "专业技术职务任职资格评审表（A4 正反面打印）", ["PDF"], review_form_exists(view), False),
        ("commitment", "个人承诺书", ["Word", "PDF"], True, False),
        ("teacher_statement", "师德师风情况说明", ["Word"], is_teacher(view), False),
        ("paper_receipt", "纸质材料受理回执", ["Word", "PDF"], "receive_paper" in events, False),
        ("unit_publicity", "推荐单位公示（本单位）", ["Word"], p.started_at is not None and not p.passed, True),
        ("publicity_result", "推荐单位公示结果（本单位）", ["Word"], p.passed, True),
    ]
    return [{"kind": kind, "name": name, "formats": formats, "unit": unit}
            for kind, name, formats, applies, unit in offered if applies]


def _application(app: Any) -> dict[str, Any]:
    """What the applicant declared, as the case page shows it (the ID number is shown masked apart)."""
    return {"series": app.series, "specialty": app.specialty, "work_started_on": app.work_started_on,
            "educations": [{"level": e.level, "full_time": e.full_time, "school": e.school, "major": e.major,
                            "graduated_on": e.graduated_on} for e in app.educations],
            "assessments": [{"year": a.year, "grade": a.grade} for a in app.assessments],
            "continuing": [{"year": c.year, "public_hours": c.public_hours, "professional_hours": c.professional_hours}
                           for c in app.continuing_education]}
