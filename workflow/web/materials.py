"""The applicant's files on the case page: uploaded by slot, opened in the browser."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from states.refusals import Refused
from workflow.web.rendering import render
from workflow.web.security import seen_session, visit

router = APIRouter()


@router.post("/cases/{number}/materials/{slot}")
async def upload(request: Request, number: int, slot: str, csrf: Annotated[str, Form()] = "",
                 files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """Files for a slot, as `chuding materials add`: the slot's new version, or nothing."""
    from starlette.concurrency import run_in_threadpool

    from workflow.store.cases import CaseNotFound
    from workflow.store.materials import StoreUnavailable
    from workflow.usecases.materials import Upload, add_materials
    from workflow.web.pages import case_page

    # The whole request is bounded before it is read (web/limits.UPLOAD_BYTES).
    given = [Upload(f.filename or "", await f.read()) for f in files or []]
    acting = visit(request, csrf)
    runtime = request.app.state.runtime
    try:
        await run_in_threadpool(add_materials, request.app.state.engine, runtime.materials, acting, number, slot,
                                given, runtime.clock.now())
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
        "Content-Disposition": disposition, "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
