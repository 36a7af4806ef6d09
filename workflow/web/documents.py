"""Documents downloaded from the pages: the same use cases as `chuding docs`."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response

from states.refusals import Refused
from workflow.web.rendering import render
from workflow.web.security import current_session, seen_session, visit

if TYPE_CHECKING:
    from workflow.documents.produce import Document
    from workflow.usecases.sessions import Visit

router = APIRouter()


def _download(request: Request, seeing: Visit, document: Document) -> Response:
    seen_session(request, seeing)  # a download is a sight of the session like any page
    name = document.filename
    # The file's own name in Chinese (RFC 5987), with a plain fallback for old browsers.
    disposition = f"attachment; filename=\"document\"; filename*=UTF-8''{quote(name)}"
    return Response(document.data, media_type=document.media,
                    headers={"Content-Disposition": disposition})


def _refused(request: Request, err: Refused) -> Response:
    return render(request, "error.html", 400, status=400, detail="；".join(r.message for r in err.refusals))


@router.get("/cases/{number}/documents/{kind}")
def case_document(request: Request, number: int, kind: str, pdf: bool = False) -> Response:
    from workflow.documents.produce import CASE_DOCUMENTS
    from workflow.documents.produce import case_document as produce
    from workflow.documents.review_form import review_form
    from workflow.store.cases import CaseNotFound

    seeing = visit(request)
    if kind not in (*CASE_DOCUMENTS, "review_form"):
        current_session(request)  # a person logged in learns there is no such kind; no one else
        raise HTTPException(status_code=404, detail="没有这种文书")
    engine, now = request.app.state.engine, request.app.state.runtime.clock.now()
    try:
        made = (review_form(engine, seeing, number, now, store=request.app.state.runtime.materials)
                if kind == "review_form"
                else produce(engine, seeing, kind, number, now, pdf))
    except CaseNotFound:
        raise HTTPException(status_code=404, detail="没有这个申报") from None
    except Refused as err:
        return _refused(request, err)
    return _download(request, seeing, made)


@router.get("/units/{code}/documents/{kind}")
def unit_document(request: Request, code: str, kind: str, pdf: bool = False) -> Response:
    from workflow.documents.produce import UNIT_DOCUMENTS
    from workflow.documents.produce import unit_document as produce

    seeing = visit(request)
    if kind not in UNIT_DOCUMENTS:
        current_session(request)  # a person logged in learns there is no such kind; no one else
        raise HTTPException(status_code=404, detail="没有这种文书")
    try:
        made = produce(request.app.state.engine, seeing, kind, code[:64],
                       request.app.state.runtime.clock.now(), pdf)
    except Refused as err:
        return _refused(request, err)
    return _download(request, seeing, made)


@router.get("/campaigns/{code}/confirmed-list")
def confirmed_list(request: Request, code: str, format: str = "docx") -> Response:  # noqa: A002 - the query's name
    from workflow.documents.produce import confirmed_list as produce

    seeing = visit(request)
    try:
        made = produce(request.app.state.engine, seeing, code[:64],
                       request.app.state.runtime.clock.now(), format == "xlsx", format == "pdf")
    except Refused as err:
        return _refused(request, err)
    return _download(request, seeing, made)
