"""Logging in and out, and choosing a new password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from states.refusals import Refused
from workflow.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    address,
    current_session,
    new_login_token,
    require_csrf,
    require_same,
    set_cookie,
)

router = APIRouter()


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


def _login_page(request: Request, refusals: list[str] | None = None, status: int = 200) -> Response:
    token = new_login_token()
    response = _page(request, "login.html", status, csrf=token, refusals=refusals or [])
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login(request: Request, login: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf: Annotated[str, Form()] = "") -> Response:
    from workflow.sessions import open_session

    require_same(request.cookies.get(LOGIN_CSRF_COOKIE), csrf)
    try:
        session = open_session(request.app.state.engine, login, password, address(request),
                               request.app.state.runtime.wall.now())
    except Refused as err:
        return _login_page(request, [r.message for r in err.refusals], status=401)
    response = RedirectResponse("/password" if session.must_change_password else "/", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    from workflow.sessions import close_session

    session = current_session(request, allow_password_change=True)
    require_csrf(session, csrf)
    close_session(request.app.state.engine, session.token, address(request), request.app.state.runtime.wall.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/password")
def password_form(request: Request) -> Response:
    session = current_session(request, allow_password_change=True)
    return _page(request, "password.html", session=session, refusals=[])


@router.post("/password")
def change_password(request: Request, password: Annotated[str, Form()] = "", again: Annotated[str, Form()] = "",
                    csrf: Annotated[str, Form()] = "") -> Response:
    from workflow.passwords import set_password

    session = current_session(request, allow_password_change=True)
    require_csrf(session, csrf)
    if password != again:
        return _page(request, "password.html", 400, session=session, refusals=["两次输入的新密码不一致"])
    try:
        set_password(request.app.state.engine, session.actor.login, session.actor.login, password, address(request))
    except Refused as err:
        return _page(request, "password.html", 400, session=session, refusals=[r.message for r in err.refusals])
    # A new password ends every session, this one too: log in again with it.
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
