"""The applicant's files on the case page: uploaded by slot, opened in the browser."""

from __future__ import annotations

import threading
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from states.refusals import Refused
from workflow.web.rendering import render
from workflow.web.security import seen_session, visit

router = APIRouter()

# Uploads examined at once. Each holds its files, their checked copies and the PDF
# parser's objects in memory (a few times its size); the others wait their turn with
# their bodies on disk, so twenty 5 MB uploads at once cost what four do.
EXAMINED_AT_ONCE = threading.BoundedSemaphore(4)


@router.post("/cases/{number}/materials/{slot}")
async def upload(request: Request, number: int, slot: str, csrf: Annotated[str, Form()] = "",
                 files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """Files for a slot, as `chuding materials add`: the slot's new version, or nothing."""
    from starlette.concurrency import run_in_threadpool

    from workflow.store.cases import CaseNotFound
    from workflow.store.materials import StoreUnavailable
    from workflow.usecases.materials import Upload, add_materials
    from workflow.web.pages import case_page

    # The whole request is bounded before it is read (web/limits.UPLOAD_BYTES), and
    # spooled to disk by the server as it comes; who sends it is settled first.
    acting = visit(request, csrf)
    runtime = request.app.state.runtime

    def add() -> None:
        with EXAMINED_AT_ONCE:  # the files are read into memory only at their turn
            given = [Upload(f.filename or "", f.file.read()) for f in files or []]
            add_materials(request.app.state.engine, runtime.materials, acting, number, slot, given,
                          runtime.clock.now())

    try:
        await run_in_threadpool(add)
    except CaseNotFound:
        raise HTTPException(status_code=404, detail="没有这个申报") from None
    except Refused as err:
        return case_page(request, visit(request), number, 400, materials=[str(r) for r in err.refusals])
    except StoreUnavailable as err:
        return render(request, "error.html", 503, session=seen_session(request, acting), status=503,
                      detail=f"{err}。未作任何更改，请稍后再试。")
    return RedirectResponse(f"/cases/{number}#materials", status_code=303)


@router.get("/cases/{number}/materials/{slot}/{part}")
def open_file(request: Request, number: int, slot: str, part: int) -> Response:
    """One file, inline, to whoever may see the case; the view is recorded first."""
    from workflow.store.cases import CaseNotFound
    from workflow.store.materials import MissingObject, StoreUnavailable
    from workflow.usecases.materials import material_for

    seeing = visit(request)
    try:
        meta, data = material_for(request.app.state.engine, request.app.state.runtime.materials, seeing,
                                  number, slot, part)
    except (CaseNotFound, Refused):
        raise HTTPException(status_code=404, detail="没有这个文件") from None
    except StoreUnavailable as err:
        return render(request, "error.html", 503, session=seen_session(request, seeing), status=503,
                      detail=f"{err}。请稍后再试。")
    except MissingObject:
        return render(request, "error.html", 500, session=seen_session(request, seeing), status=500,
                      detail=f"{MissingObject.said}。")
    seen_session(request, seeing)
    disposition = f"inline; filename=\"material\"; filename*=UTF-8''{quote(meta['file_name'])}"
    return Response(data, media_type=meta["media_type"], headers={
        "Content-Disposition": disposition, "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        **FRAMED_BY_OWN_PAGES})


# Only a file may be shown inside another page, and only inside this site's own (the case
# page's in-page viewer); it loads nothing, runs nothing. Every other answer keeps
# frame-ancestors 'none' and X-Frame-Options DENY.
FRAMED_BY_OWN_PAGES = {"Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'",
                       "X-Frame-Options": "SAMEORIGIN"}
