"""My work, the case list and one case: every read through the service layer, scoped to
what the logged-in person may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from states.process import PROCESS
from states.refusals import Refused
from states.values import Event
from workflow.store.sql import MAX_ID
from workflow.web.security import current_session, require_csrf, seen_session, visit

if TYPE_CHECKING:
    from workflow.usecases.sessions import Visit

router = APIRouter()


def _render(request: Request, name: str, **context: Any) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context)


@router.get("/")
def my_work(request: Request) -> Response:
    from workflow.reads.work import my_work as work

    now, seeing = request.app.state.runtime.clock.now(), visit(request)
    w = work(request.app.state.engine, seeing, now)
    return _render(request, "work.html", session=seen_session(request, seeing), w=w, now=now)


PAGE = 50
# The case list's fields as the page labels them.
FIELD_LABELS = {"state": "状态", "unit": "推荐单位代码", "campaign": "年度批次代码", "text": "姓名或申报编号"}


@router.get("/cases")
def cases(request: Request, state: str = "", unit: str = "", campaign: str = "", order: str = "newest",
          past: int | None = None) -> Response:
    """The case list, filtered by state, unit and campaign, paged in case-number order."""
    return _case_list(request, visit(request), ListForm(state, unit, campaign, "", order, past))


@router.post("/cases")
def search(request: Request, csrf: Annotated[str, Form()] = "", state: Annotated[str, Form()] = "",
           unit: Annotated[str, Form()] = "", campaign: Annotated[str, Form()] = "", q: Annotated[str, Form()] = "",
           order: Annotated[str, Form()] = "newest", past: Annotated[int | None, Form()] = None) -> Response:
    """The same, searching a name or case number: sent in the form's body, never in an
    address, since a name is personal data."""
    return _case_list(request, visit(request, csrf), ListForm(state, unit, campaign, q, order, past))


@dataclass
class ListForm:
    """What the case list was asked for, cut to the fields' sizes."""

    state: str
    unit: str
    campaign: str
    q: str
    order: str
    past: int | None

    def __post_init__(self) -> None:
        self.state, self.unit, self.campaign, self.q = self.state[:32], self.unit[:64], self.campaign[:64], self.q[:100]
        self.order = "oldest" if self.order == "oldest" else "newest"
        self.past = self.past if self.past is not None and 0 < self.past <= MAX_ID else None


def _case_list(request: Request, seeing: Visit, wanted: ListForm) -> Response:
    from states.status import Status
    from workflow.errors import BadUsage
    from workflow.reads.cases import cases_for

    try:
        rows = cases_for(request.app.state.engine, seeing, wanted.state or None, wanted.campaign or None,
                         PAGE + 1, wanted.unit or None, wanted.q or None, wanted.past, wanted.order == "oldest")
        problem = ""
    except BadUsage as err:  # names the field, by its label on the page, and the rule
        rows, problem = [], f"{FIELD_LABELS.get(err.field or '', '查找')}：{err.message}"
    next_past = rows[PAGE - 1]["case"] if len(rows) > PAGE else None
    response = _render(request, "cases.html", session=seen_session(request, seeing), rows=rows[:PAGE], wanted=wanted,
                       problem=problem, states=list(Status), next_past=next_past)
    response.status_code = 400 if problem else 200
    return response


@router.get("/cases/{number}")
def case(request: Request, number: int) -> Response:
    return case_page(request, visit(request), number)


def case_page(request: Request, seeing: Visit, number: int, status: int = 200,
               **said: Any) -> Response:
    """One case as this person may see it (404 for any other), with its files, and ``said``
    shown beside the form it answers (refusals, or a conflict)."""
    from workflow.reads.cases import case_for
    from workflow.store.cases import CaseNotFound

    try:
        report = case_for(request.app.state.engine, seeing, number, request.app.state.runtime.clock.now())
    except CaseNotFound:
        raise HTTPException(status_code=404, detail="没有这个申报") from None
    ban_years = report["ban_years"]
    consequences = {event: text.format(ban_years=ban_years) for event, text in CONSEQUENCES.items()}
    report["actions"].sort(key=lambda a: a["event"] in consequences)  # the routine ones first
    response = _render(request, "case.html", session=seen_session(request, seeing), r=report,
                       m=report["materials"], said=said, consequences=consequences)
    response.status_code = status
    return response


MAX_SLOTS = 100  # more slots than any notice has: the rest of a forged form is not read

# Decisions that end a case for good: the page asks for a second, explicit step — a box
# naming the consequence, ticked — before it acts, without any script; the server checks it.
CONSEQUENCES = {
    Event.WITHDRAW.value: "撤回后本申报即告终止，不能恢复，本年度不能再次申报。",
    Event.REJECT.value: "不予确认后本申报即告终止，不能恢复；申报人将收到决定及申请复议、提起诉讼的途径。",
    Event.REPORT_FRAUD.value: "认定弄虚作假后，本申报不予确认（已确认的撤销其资格），"
                              "申报人自下一年度起 {ban_years} 年内不得申报专业技术资格。",
}


@router.post("/cases/{number}/{event}")
def act(request: Request, number: int, event: str, csrf: Annotated[str, Form()] = "",
        version: Annotated[int | None, Form()] = None, reason: Annotated[str, Form()] = "",
        opinion: Annotated[str, Form()] = "",
        upheld: Annotated[str, Form()] = "", items: Annotated[list[str] | None, Form()] = None,
        form_code: Annotated[str, Form()] = "", slot_keys: Annotated[list[str] | None, Form()] = None,
        slot_reasons: Annotated[list[str] | None, Form()] = None, understood: Annotated[str, Form()] = "") -> Response:
    """One event on one case, as the command line's: the same use case, refusals and history.
    A return names the slots at fault by a reason typed beside each (blank: not at fault)."""
    from workflow.errors import Conflict
    from workflow.store.cases import CaseNotFound
    from workflow.usecases.events import run_event

    acting = visit(request, csrf)
    if event not in {e.value for e in Event}:
        require_csrf(current_session(request), csrf)  # a forged form is refused as such first
        raise HTTPException(status_code=404, detail="没有这个事项")
    said = {"reason": reason, "opinion": opinion, "upheld": {"upheld": True, "dismissed": False}.get(upheld),
            "items": frozenset(items or []), "form_code": form_code[:40],
            "slots": tuple((key, why) for key, why in zip(slot_keys or [], slot_reasons or [], strict=False)
                           if why.strip())[:MAX_SLOTS]}
    takes = PROCESS[Event(event)].takes
    if event in CONSEQUENCES and understood != "yes":  # nothing is done without the second step
        return case_page(request, acting, number, 400, event=event,
                         refusals=["请先勾选“我已知晓后果”，再办理（此项办理不能撤销）"])
    try:
        run_event(request.app.state.engine, number, Event(event), acting,
                  request.app.state.runtime.clock.now(), version, **{k: v for k, v in said.items() if k in takes})
    except CaseNotFound:
        raise HTTPException(status_code=404, detail="没有这个申报") from None
    except Refused as err:
        return case_page(request, visit(request), number, 400, event=event, refusals=[str(r) for r in err.refusals])
    except Conflict:
        return case_page(request, visit(request), number, 409, event=event, conflict=True)
    return RedirectResponse(f"/cases/{number}", status_code=303)
