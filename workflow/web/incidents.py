"""What a person sees when a request cannot be served: a page in Chinese, never a stack.

A busy database is 503 with ``Retry-After`` (nothing was changed: the transaction was
rolled back); anything unexpected is 500 with an incident number that is also in the log
beside the error, so that the bureau can tell support which one it was.
"""

from __future__ import annotations

import logging
import secrets
import traceback

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflow.errors import without_personal_data
from workflow.store.db import is_busy

log = logging.getLogger("chuding.web")
RETRY_AFTER_SECONDS = 5
BUSY = f"系统正忙，未作任何更改。请 {RETRY_AFTER_SECONDS} 秒后再试。"


class Incidents:
    """Plain ASGI around the application: an error that escaped every handler is answered
    here, inside the security headers, if nothing of the answer was sent yet."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as err:  # noqa: BLE001 - the last place an error can still be said
            if started:
                log.exception("an answer broke off after it started")
                return
            status, detail, headers = _answer(err)
            await _page(scope, send, status, detail, headers)


def _answer(err: Exception) -> tuple[int, str, list[tuple[bytes, bytes]]]:
    if isinstance(err, HTTPException):
        return err.status_code, str(err.detail), []
    if is_busy(err):
        log.warning("database busy: answered 503 (%s)", type(err).__name__)
        return 503, BUSY, [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
    incident = secrets.token_hex(4).upper()
    # Where it happened, and the error without its values (a statement's parameters may
    # hold an ID number; no full ID number reaches the log).
    where = "".join(traceback.format_tb(err.__traceback__))
    log.error("incident %s: %s\n%s", incident, without_personal_data(err), where)
    return 500, f"服务器出错（事件编号 {incident}），未作任何更改。请稍后再试；如再次出现，请把事件编号告诉管理员。", []


async def _page(scope: Scope, send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    templates = scope["app"].state.templates
    body = templates.get_template("error.html").render(status=status, detail=detail).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})
