"""The campaign at a glance, and the import of a file of applications (uploaded)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from states.refusals import Refused
from workflow.errors import Problem
from workflow.inputs.import_file import MAX_FILE_BYTES
from workflow.web.rendering import render
from workflow.web.security import current_session, require_csrf, seen_session, visit

router = APIRouter()

# The largest file the import page takes: far above a county's year (a few thousand
# applications are a few MB), far below what would strain the server.


@router.get("/campaign")
def campaign(request: Request) -> Response:
    from workflow.reads.overview import campaign_overview

    seeing, now = visit(request), request.app.state.runtime.clock.now()
    overview = campaign_overview(request.app.state.engine, seeing, now)
    return render(request, "campaign.html", session=seen_session(request, seeing), o=overview, now=now)


@router.get("/import")
def import_form(request: Request) -> Response:
    from workflow.usecases.importer import may_import

    seeing = visit(request)
    if not may_import(request.app.state.engine, seeing):
        return render(request, "error.html", 403, session=seen_session(request, seeing), status=403,
                      detail="导入申报须由申报经办人或管理员办理")
    return render(request, "import.html", session=seen_session(request, seeing), problems=[], done=None)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/import/template")
def import_template_download(request: Request) -> Response:
    """The import workbook, the same as `chuding template` writes, for those who may import."""
    import tempfile
    from pathlib import Path
    from urllib.parse import quote

    from workflow.usecases.importer import import_template

    seeing = visit(request)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        try:
            import_template(request.app.state.engine, seeing, path)
        except Refused as err:
            return render(request, "error.html", 403, session=seen_session(request, seeing), status=403,
                          detail="；".join(r.message for r in err.refusals))
        data = path.read_bytes()
    seen_session(request, seeing)
    disposition = f"attachment; filename=\"template.xlsx\"; filename*=UTF-8''{quote('初定职申报导入模板.xlsx')}"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.post("/import")
async def import_file(request: Request, file: UploadFile | None = None, files: UploadFile | None = None,
                      csrf: Annotated[str, Form()] = "") -> Response:
    from starlette.concurrency import run_in_threadpool

    from workflow.errors import ImportRefused
    from workflow.inputs.attached import ZIP_BYTES, Attached, AttachedProblem
    from workflow.usecases.importer import Files, import_file

    def refused(status: int, problems: list[str]) -> Response:
        """Before the use case ran: the session and the form's token are checked here."""
        session = current_session(request)
        require_csrf(session, csrf)
        return render(request, "import.html", status, session=session, done=None, problems=problems)

    if file is None:
        return refused(400, ["文件：请选择要导入的文件"])
    data = await file.read(MAX_FILE_BYTES + 1)
    name = (file.filename or "upload.json")[-200:]
    if len(data) > MAX_FILE_BYTES:
        return refused(413, [f"文件：超过 {MAX_FILE_BYTES // 1024 // 1024} MB，未导入任何申报"])
    attached = None
    if files is not None and files.filename:  # an empty file field sends a nameless part
        if (files.size or 0) > ZIP_BYTES:
            return refused(413, [f"所附文件：超过 {ZIP_BYTES // 1024 // 1024} MB，未导入任何申报"])
        try:
            attached = Files(Attached.from_file(files.file), request.app.state.runtime.materials)
        except AttachedProblem as err:
            return refused(400, [f"所附文件：{err}"])
    seeing = visit(request, csrf)
    try:
        result = await run_in_threadpool(import_file, request.app.state.engine, data, name,
                                         seeing, request.app.state.runtime.clock.now(), None, None, attached)
    except ImportRefused as err:
        return render(request, "import.html", 400, session=seen_session(request, seeing), done=None,
                      problems=[_said(p) for p in err.problems])
    except Refused as err:
        return render(request, "import.html", 403, session=seen_session(request, seeing), done=None,
                      problems=[str(r) for r in err.refusals])
    touched = result.created + result.amended
    if len(touched) == 1:
        return RedirectResponse(f"/cases/{touched[0]}", status_code=303)
    return render(request, "import.html", session=seen_session(request, seeing), problems=[], done=result)


def _said(problem: Problem) -> str:
    """An import problem as the clerk reads it: which record (whose), which field, what is wrong."""
    where = f"第 {problem.record} 条" + (f"（{problem.who}）" if problem.who else "") if problem.record else "文件"
    return f"{where}：{problem.field}：{problem.message}"


@router.get("/status/{token}")
def applicant_status(request: Request, token: str) -> Response:
    """The applicant's page by their signed link: no login, masked data, nothing for a bad link."""
    from workflow.reads.public_status import status_by_link

    runtime = request.app.state.runtime
    found = status_by_link(request.app.state.engine, runtime.settings.messages, token[:200], runtime.clock.now())
    if found is None:
        return render(request, "error.html", 404, status=404,
                      detail="此链接无效或已过期。请向推荐单位或人社局咨询办理进度。")
    return render(request, "applicant.html", s=found)
