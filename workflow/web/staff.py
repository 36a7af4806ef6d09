"""The bureau's own pages: the outbox (county clerks, administrators), operators and
units (administrators). Each is a use case of the service layer, which checks the role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from states.refusals import Refused
from workflow.web.rendering import render
from workflow.web.security import seen_session, visit

if TYPE_CHECKING:
    from workflow.usecases.sessions import Visit

router = APIRouter()


def _refused(request: Request, err: Refused, page: str, **context: Any) -> Response:
    """A refusal: 403 when the person's role may not do this at all, else 400 beside the form."""
    status = 403 if any(r.rule.startswith(("role.", "operator.")) for r in err.refusals) else 400
    return render(request, page, status, refusals=[str(r) for r in err.refusals], **context)


@router.get("/outbox")
def outbox_page(request: Request, status: str = "dead") -> Response:
    return _outbox(request, visit(request), status)


def _outbox(request: Request, seeing: Visit, status: str, code: int = 200, said: str = "") -> Response:
    """The outbox's messages of one status, with ``said`` above them (why a retry did nothing)."""
    from notifications.statuses import OutboxStatus
    from workflow.usecases.outbox import UNDELIVERED, messages_for

    statuses = [*(s.value for s in OutboxStatus), UNDELIVERED]
    chosen = status if status in statuses else "dead"
    try:
        rows = messages_for(request.app.state.engine, seeing, request.app.state.runtime.settings.messages, chosen,
                            200)
    except Refused as err:
        return _refused(request, err, "outbox.html", session=seen_session(request, seeing), rows=[], shown=chosen,
                        statuses=statuses)
    return render(request, "outbox.html", code, session=seen_session(request, seeing), rows=rows, shown=chosen,
                  refusals=[said] if said else [], statuses=statuses)


@router.post("/outbox/retry")
def outbox_retry(request: Request, csrf: Annotated[str, Form()] = "",
                 message: Annotated[list[int] | None, Form()] = None) -> Response:
    from workflow.usecases.outbox import requeue

    seeing = visit(request, csrf)
    if not message:  # the button sends the ticked ones: none ticked is not "all"
        return _outbox(request, seeing, "dead", 400, "请先勾选要重新发送的消息；未作任何更改")
    try:
        requeue(request.app.state.engine, seeing, message, request.app.state.runtime.clock.now())
    except Refused as err:
        return _refused(request, err, "outbox.html", session=seen_session(request, seeing), rows=[], shown="dead",
                        statuses=[])
    return RedirectResponse("/outbox?status=pending", status_code=303)


def _people(request: Request, status: int = 200, **said: Any) -> Response:
    from states.values import Role
    from workflow.usecases.operators import operators_for
    from workflow.usecases.passwords import login_blocks_for
    from workflow.usecases.units import units_for

    seeing, engine = visit(request), request.app.state.engine
    try:
        operators, units = operators_for(engine, seeing), units_for(engine, seeing)
        blocks = login_blocks_for(engine, seeing, request.app.state.runtime.wall.now())
    except Refused as err:
        return _refused(request, err, "people.html", session=seen_session(request, seeing), operators=[], units=[],
                        roles=[], said={}, blocks=[])
    roles = [r for r in Role if r is not Role.SERVICE]
    return render(request, "people.html", status, session=seen_session(request, seeing), operators=operators,
                  units=units, roles=roles, refusals=[], said=said, blocks=blocks)


@router.get("/admin")
def people(request: Request) -> Response:
    return _people(request)


@router.post("/admin/operators")
def add_operator(request: Request, csrf: Annotated[str, Form()] = "", login: Annotated[str, Form()] = "",
                 name: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
                 unit: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
                 phone: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:
    from workflow.usecases.operators import register_operator

    try:
        register_operator(request.app.state.engine, visit(request, csrf), login.strip(), name.strip(), role,
                          unit.strip() or None, email.strip() or None, phone.strip() or None, password or None)
    except Refused as err:
        return _people(request, 400, form="operator", refusals=[str(r) for r in err.refusals])
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/operators/disable")
def disable(request: Request, csrf: Annotated[str, Form()] = "", login: Annotated[str, Form()] = "") -> Response:
    """The operator is named in the form's body, never in the address (a login is data)."""
    from workflow.usecases.operators import disable_operator

    try:
        disable_operator(request.app.state.engine, visit(request, csrf), login)
    except Refused as err:
        return _people(request, 400, form="disable", refusals=[str(r) for r in err.refusals])
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/unblock")
def unblock(request: Request, csrf: Annotated[str, Form()] = "", login: Annotated[str, Form()] = "",
            address: Annotated[str, Form()] = "") -> Response:
    """An administrator lifts the login limits' block of a login (or of an address)."""
    from workflow.usecases.passwords import unblock_login

    try:
        unblock_login(request.app.state.engine, visit(request, csrf), login[:64], address[:100] or None)
    except Refused as err:
        return _people(request, 400, form="unblock", refusals=[str(r) for r in err.refusals])
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/units")
def add_unit(request: Request, csrf: Annotated[str, Form()] = "", code: Annotated[str, Form()] = "",
             name: Annotated[str, Form()] = "", level: Annotated[str, Form()] = "",
             type_: Annotated[str, Form(alias="type")] = "", email: Annotated[str, Form()] = "",
             phone: Annotated[str, Form()] = "") -> Response:
    from workflow.usecases.units import register_unit

    try:
        register_unit(request.app.state.engine, visit(request, csrf), code.strip(), name.strip(), level.strip(),
                      type_.strip(), email.strip() or None, phone.strip() or None)
    except Refused as err:
        return _people(request, 400, form="unit", refusals=[str(r) for r in err.refusals])
    return RedirectResponse("/admin", status_code=303)
