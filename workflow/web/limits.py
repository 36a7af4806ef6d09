"""How much a request may send, decided before anything reads it.

Each route has its own limit (a form is small, an import is 20 MB), and a request that
carries no session cookie gets the smallest whatever its route: a stranger cannot make
the server spool a large body before its session is checked. A declared
``Content-Length`` over the limit is refused at once; a body sent without one (chunked)
or larger than declared is counted as it streams and cut off at the limit.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflow.inputs.attached import ZIP_BYTES
from workflow.inputs.import_file import MAX_FILE_BYTES

# Without a session: the login form (a login and a password of at most 200 characters,
# percent-encoded) and nothing larger.
STRANGER_BYTES = 16 * 1024
# A form of the pages: the longest is an event with the longest typed text (TYPED_TEXT_LIMIT
# characters, at most 9 bytes each percent-encoded) and room to spare.
FORM_BYTES = 64 * 1024
# Routes that take a file: the file's limit and room for the form around it. An upload to
# a slot takes its pages together, up to this much (each file within the notice's limit).
UPLOAD_BYTES = 20 * 1024 * 1024 + 64 * 1024
FILE_ROUTES: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"/import"), MAX_FILE_BYTES + ZIP_BYTES + 64 * 1024),
    (re.compile(r"/cases/[0-9]{1,19}/materials/[^/]{1,64}"), UPLOAD_BYTES),
]


class BodyTooLarge(HTTPException):
    """Raised while the body streams in: answered as 413 by the pages' error page (an
    HTTPException, so the framework's body parsing passes it on instead of a 400)."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=f"提交的内容过大（此处最多 {_size(limit)}），未作任何更改。")


def _size(limit: int) -> str:
    return f"{limit // 1024 // 1024} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def session_token(scope: Scope, names: tuple[str, ...]) -> str | None:
    """The session cookie's value, under any of its ``names``, or None."""
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1"))
    except Exception:  # noqa: BLE001 - a cookie header no browser sends is no session
        return None
    found = next((cookies[n].value for n in names if n in cookies), None)
    return found or None


class BodyLimits:
    """Plain ASGI, outside the framework: nothing reads a byte past the limit. A route
    that takes a file asks ``live`` whether the session is real before allowing more than
    a stranger's limit."""

    def __init__(self, app: ASGIApp, session_cookies: tuple[str, ...], live: Callable[[str], Awaitable[bool]]):
        self.app, self.session_cookies, self.live = app, session_cookies, live

    async def limit_for(self, scope: Scope) -> int:
        """The most this request may send."""
        token = session_token(scope, self.session_cookies)
        if token is None or scope.get("method") in ("GET", "HEAD"):
            return STRANGER_BYTES
        path = scope.get("path", "")
        route = next((limit for pattern, limit in FILE_ROUTES if pattern.fullmatch(path)), None)
        if route is None:
            return FORM_BYTES
        return route if await self.live(token) else STRANGER_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = await self.limit_for(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise BodyTooLarge(limit)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)
