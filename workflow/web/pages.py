"""My work, the case list and one case: every read through the service layer, scoped to
what the logged-in person may see."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from states.clock import beijing_text
from workflow.web.security import current_session

router = APIRouter()


def _render(request: Request, name: str, **context: Any) -> Response:
    context.setdefault("beijing", beijing_text)
    return request.app.state.templates.TemplateResponse(request, name, context)


@router.get("/")
def my_work(request: Request) -> Response:
    from workflow.work import my_work as work

    session = current_session(request)
    now = request.app.state.runtime.clock.now()
    rows = work(request.app.state.engine, session.actor.login, now)
    return _render(request, "work.html", session=session, rows=rows, now=now)


@router.get("/cases")
def cases(request: Request) -> Response:
    from workflow.work import cases_for

    session = current_session(request)
    rows = cases_for(request.app.state.engine, session.actor.login)
    return _render(request, "cases.html", session=session, rows=rows)


@router.get("/cases/{number}")
def case(request: Request, number: int) -> Response:
    from workflow.cases import CaseNotFound
    from workflow.work import case_for

    session = current_session(request)
    if not 1 <= number <= 2**31 - 1:
        raise HTTPException(status_code=404, detail="没有这个申报")
    try:
        report = case_for(request.app.state.engine, session.actor.login, number,
                          request.app.state.runtime.clock.now())
    except CaseNotFound:
        raise HTTPException(status_code=404, detail="没有这个申报") from None
    return _render(request, "case.html", session=session, r=report)
