"""The web pages for staff and units: a thin adapter over the same use cases as the
command line, rendered on the server (Jinja2), working without any script."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from workflow.usecases.sessions import FormForged, PasswordChangeDue, SessionEnded
from workflow.web.incidents import Incidents
from workflow.web.limits import BodyLimits
from workflow.web.security import REFUSED_FORM, SESSION_COOKIE, SecurityHeaders, delete_cookie

if TYPE_CHECKING:
    from workflow.runtime.bootstrap import Runtime

HERE = Path(__file__).parent
# Said in the pages' language where the framework would answer in English.
STANDARD_DETAILS = {404: "没有这个页面。", 405: "此页面不接受这种请求。", 413: "提交的内容过大，未作任何更改。",
                    500: "服务器出错，未作任何更改。请稍后再试。"}


def create_app(runtime: Runtime) -> FastAPI:
    """The application, built over ``runtime`` (the composition root's)."""
    from workflow.web import auth, campaign, documents, materials, pages, staff

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    app.state.engine = runtime.engine()
    app.state.templates = templates()
    # Outermost last: the headers go on every answer, the incidents' pages too; the body
    # limits hold before the framework reads a byte.
    app.add_middleware(BodyLimits, session_cookies=(SESSION_COOKIE, f"__Host-{SESSION_COOKIE}"),
                       live=_live_session(app))
    app.add_middleware(Incidents)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (auth, pages, campaign, staff, documents, materials):
        app.include_router(module.router)
    _answers(app)
    return app


def _live_session(app: FastAPI) -> Callable[[str], Awaitable[bool]]:
    """Whether a session token is live now: asked before a file route may take more than a
    stranger's few kilobytes."""
    from starlette.concurrency import run_in_threadpool

    from workflow.usecases.sessions import SessionEnded, resume

    def live(token: str) -> bool:
        try:
            resume(app.state.engine, token, app.state.runtime.wall.now())
        except SessionEnded:
            return False
        return True

    async def asked(token: str) -> bool:
        return await run_in_threadpool(live, token)

    return asked


def _answers(app: FastAPI) -> None:
    """How a request that cannot be served is answered: to a person, in a page."""

    @app.exception_handler(SessionEnded)
    async def to_login(request: Request, exc: SessionEnded) -> RedirectResponse:
        response = RedirectResponse("/login", status_code=303)
        delete_cookie(request, response, SESSION_COOKIE)
        return response

    @app.exception_handler(PasswordChangeDue)
    async def to_password(request: Request, exc: PasswordChangeDue) -> RedirectResponse:
        return RedirectResponse("/password", status_code=303)

    @app.exception_handler(FormForged)
    async def forged(request: Request, exc: FormForged) -> Response:
        """A form without its session's CSRF token: 403, and nothing was changed."""
        from workflow.web.rendering import render

        return render(request, "error.html", 403, status=403, detail=REFUSED_FORM)

    @app.exception_handler(StarletteHTTPException)
    async def error_page(request: Request, exc: StarletteHTTPException) -> Response:
        """A refusal a person can read (not found, forbidden, too large), never a stack."""
        from http import HTTPStatus

        from workflow.web.rendering import render

        standard = exc.detail == HTTPStatus(exc.status_code).phrase  # Starlette's English default
        detail = STANDARD_DETAILS.get(exc.status_code, "未能办理") if standard or exc.status_code >= 500 else exc.detail
        return render(request, "error.html", exc.status_code, status=exc.status_code, detail=detail)

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, exc: RequestValidationError) -> Response:
        """A form or address value of the wrong kind (a letter for a number), or one
        missing: said in the pages' language, naming the field, never as the framework's JSON."""
        from workflow.web.rendering import render

        fields = "、".join(sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})) or "请求"
        return render(request, "error.html", 400, status=400, detail=f"{fields}：缺少或格式不对，未作任何更改")



# What the history records besides the process's events.
OTHER_LABELS = {"import": "导入申报", "amend": "修改申报", "material_added": "上传材料", "ban_lifted": "解除禁报",
                "ban_ended": "禁报期满"}


def _label(kind: type[StrEnum]) -> Callable[[str], str]:
    def label(value: str) -> str:
        try:
            return str(kind(value).label)  # type: ignore[attr-defined]
        except ValueError:
            return OTHER_LABELS.get(value, value)

    return label


def time_left(until: datetime, now: datetime) -> str:
    """How long is left before a deadline, as people say it: 3 天 4 小时, 25 分钟, 已过."""
    seconds = int((until - now).total_seconds())
    if seconds < 0:
        return "已过"
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    if days:
        return f"{days} 天 {hours} 小时"
    return f"{hours} 小时 {minutes} 分钟" if hours else f"{minutes} 分钟"


def templates() -> Jinja2Templates:
    """The pages' templates, with the names people read instead of the codes stored."""
    from states.clock import beijing_text
    from states.permissions import may
    from states.status import Status
    from states.text import TYPED_TEXT_LIMIT
    from states.values import Event, Role

    found = Jinja2Templates(directory=str(HERE / "templates"))
    labels = {"event_label": _label(Event), "role_label": _label(Role), "state_label": _label(Status)}
    found.env.globals.update(beijing=beijing_text, time_left=time_left, may=may, typed_text_limit=TYPED_TEXT_LIMIT,
                             **labels)
    # A value put into an address is one path segment, whatever it holds ("/" and ".." too).
    found.env.filters.update(labels, segment=lambda value: quote(str(value), safe=""))
    return found
