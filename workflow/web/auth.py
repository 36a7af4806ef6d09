"""Logging in and out, and choosing a new password.

A login's password check (Argon2, deliberately slow) runs outside any transaction, at
most ``PASSWORD_CHECKS`` at a time on threads of its own, so that a flood of strangers
logging in never holds the database's write lock nor the threads logged-in work needs.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from states.refusals import Refused
from workflow.web.incidents import BUSY, RETRY_AFTER_SECONDS
from workflow.web.rendering import render
from workflow.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    address,
    cookie,
    current_session,
    delete_cookie,
    login_token,
    new_login_nonce,
    require_csrf,
    require_login_token,
    set_cookie,
    visit,
)

router = APIRouter()
# Password checks at once in one process: below the request threads (40), so logged-in
# pages always have threads and cores left; one waits at most CHECK_WAIT_SECONDS for its
# turn, else the attempt is answered "busy" (503) without being checked or counted.
PASSWORD_CHECKS = 2
CHECK_WAIT_SECONDS = 10
_checks: anyio.CapacityLimiter | None = None


def _limiter() -> anyio.CapacityLimiter:
    global _checks
    if _checks is None:  # made on the event loop that uses it
        _checks = anyio.CapacityLimiter(PASSWORD_CHECKS)
    return _checks


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    return render(request, name, status, **context)


def _key(request: Request) -> bytes:
    from workflow.usecases.sessions import site_key

    if getattr(request.app.state, "login_key", None) is None:
        request.app.state.login_key = site_key(request.app.state.engine)
    return bytes(request.app.state.login_key)


def _login_page(request: Request, refusals: list[str] | None = None, status: int = 200) -> Response:
    nonce = new_login_nonce()
    issued = int(request.app.state.runtime.wall.now().timestamp())
    response = _page(request, "login.html", status, csrf=login_token(_key(request), nonce, issued),
                     refusals=refusals or [])
    set_cookie(request, response, LOGIN_CSRF_COOKIE, nonce)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request, login: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                csrf: Annotated[str, Form()] = "") -> Response:
    from workflow.usecases.passwords import WRONG, login_candidate, login_outcome, password_matches
    from workflow.usecases.sessions import start_session

    key = await run_in_threadpool(_key, request)
    engine, now, peer = request.app.state.engine, request.app.state.runtime.wall.now(), address(request)
    require_login_token(key, cookie(request, LOGIN_CSRF_COOKIE), csrf, now.timestamp())
    candidate = await run_in_threadpool(login_candidate, engine, login, peer, now)
    try:
        with anyio.fail_after(CHECK_WAIT_SECONDS):
            # A paused attempt checks nothing, so it does not queue behind those that do.
            matches = False if candidate.blocked else await anyio.to_thread.run_sync(
                password_matches, candidate, password, limiter=_limiter())
    except TimeoutError:
        response = _page(request, "login.html", 503, csrf=csrf, refusals=[BUSY])
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    try:
        done = await run_in_threadpool(login_outcome, engine, candidate, matches, now)
        session = await run_in_threadpool(start_session, engine, done, peer, now)
    except Refused:
        return _login_page(request, [WRONG.message], status=401)
    response = RedirectResponse("/password" if session.must_change_password else "/", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session.token)
    delete_cookie(request, response, LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    from workflow.usecases.sessions import close_session

    session = current_session(request, allow_password_change=True)
    require_csrf(session, csrf)
    close_session(request.app.state.engine, session.token, address(request), request.app.state.runtime.wall.now())
    response = RedirectResponse("/login", status_code=303)
    delete_cookie(request, response, SESSION_COOKIE)
    return response


@router.get("/password")
def password_form(request: Request) -> Response:
    session = current_session(request, allow_password_change=True)
    return _page(request, "password.html", session=session, refusals=[])


@router.post("/password")
def change_password(request: Request, current: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                    again: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    from workflow.usecases.passwords import change_own_password

    changing = visit(request, csrf, password_change=True)
    if password != again:
        session = current_session(request, allow_password_change=True)
        require_csrf(session, csrf)
        return _page(request, "password.html", 400, session=session, refusals=["新密码：两次输入不一致"])
    try:
        change_own_password(request.app.state.engine, changing, current, password, address(request),
                            request.app.state.runtime.wall.now())
    except Refused as err:
        return _page(request, "password.html", 400, session=current_session(request, allow_password_change=True),
                     refusals=[r.message for r in err.refusals])
    # A new password ends every session, this one too: log in again with it.
    response = RedirectResponse("/login", status_code=303)
    delete_cookie(request, response, SESSION_COOKIE)
    return response
