"""One way a page is answered: its template, with the person's session and a status."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status_code)
