"""What every page carries: security headers, the session cookie, and CSRF checks."""

from __future__ import annotations

import hmac
import secrets
import time
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from workflow.usecases.sessions import Session, Visit

SESSION_COOKIE = "chuding_session"
LOGIN_CSRF_COOKIE = "chuding_login_csrf"
HEADERS = {
    # No inline script anywhere; pages work without any script at all.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                               " frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    """Adds the headers above to every answer, and how long the server took (W3C
    Server-Timing, shown by browsers' tools and read by bench/). Plain ASGI: it wraps
    nothing but the start of each answer."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def start(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = {name for name, _ in message.get("headers", [])}
                took = f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode()
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in self.headers if k not in given), (b"server-timing", took)]
            await send(message)

        await self.app(scope, receive, start)


def cookie_name(request: Request, name: str) -> str:
    """Over HTTPS a cookie is ``__Host-``: the browser takes it only from this very host
    (Secure, path /, no Domain), so a sibling host cannot plant one."""
    return f"__Host-{name}" if request.url.scheme == "https" else name


def cookie(request: Request, name: str) -> str | None:
    return request.cookies.get(cookie_name(request, name))


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """HttpOnly and SameSite always; Secure (and ``__Host-``) whenever the page came over HTTPS."""
    response.set_cookie(cookie_name(request, name), value, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


def delete_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(cookie_name(request, name), path="/", secure=request.url.scheme == "https",
                           httponly=True, samesite="strict")


# How long a login form may wait between being shown and sent.
LOGIN_FORM_SECONDS = 2 * 3600


def login_token(key: bytes, nonce: str, issued: int) -> str:
    """The login form's token: the nonce its cookie holds, when it was issued (seconds
    since the epoch), and their HMAC under the site's key: only this site can make one."""
    mac = hmac.new(key, f"{nonce}.{issued}".encode(), "sha256").hexdigest()
    return f"{nonce}.{issued}.{mac}"


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


REFUSED_FORM = "缺少或错误的表单令牌（CSRF）；请返回重新提交"


def require_login_token(key: bytes, nonce: str | None, given: str | None, now: float) -> None:
    """The login form (before any session): signed by this site, not too old, and made
    for the nonce in this browser's cookie."""
    parts = (given or "").split(".")
    valid = (
        bool(nonce) and len(parts) == 3 and parts[0] == nonce and parts[1].isascii() and parts[1].isdigit()
        and 0 <= now - int(parts[1]) <= LOGIN_FORM_SECONDS
        and hmac.compare_digest(login_token(key, parts[0], int(parts[1])).encode(), (given or "").encode())
    )
    if not valid:
        raise HTTPException(status_code=403, detail=REFUSED_FORM)


def require_csrf(session: Session, given: str | None) -> None:
    """A state-changing request without its session's CSRF token is refused (403),
    changing nothing."""
    from workflow.usecases.sessions import FormForged, csrf_matches

    if not csrf_matches(session, given):
        raise FormForged


def address(request: Request) -> str:
    """The peer's address: the real one, unless a proxy named in CHUDING_TRUSTED_PROXIES
    passed the request on (uvicorn then reads X-Forwarded-For from that proxy alone)."""
    return request.client.host if request.client else ""


def visit(request: Request, form_csrf: str | None = None, password_change: bool = False) -> Visit:
    """This request as a use case's ``who``: the use case settles the session in its own
    transaction (``SessionEnded`` sends the person to /login, ``FormForged`` is a 403,
    ``PasswordChangeDue`` sends them to /password)."""
    from workflow.usecases.sessions import SessionEnded, Visit

    token = cookie(request, SESSION_COOKIE)
    if not token:
        raise SessionEnded
    return Visit(token, request.app.state.runtime.wall.now(), form_csrf, password_change)


def seen_session(request: Request, visit: Visit) -> Session:
    """The session the use case found behind ``visit``, its due write of the last sight made."""
    from workflow.usecases.sessions import settled

    return settled(request.app.state.engine, visit)


def current_session(request: Request, allow_password_change: bool = False) -> Session:
    """The live session behind the request's cookie, seen again now: for a page that runs
    no use case of its own before it needs the session."""
    return seen_session(request, visit(request, password_change=allow_password_change))
