"""Documents: `docs commitment`, `teacher-statement`, `paper-receipt` (a case),
`unit-publicity`, `publicity-result` (a unit), `confirmed-list` (a campaign)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from workflow.cli.common import CaseId, JsonOut, emit, guarded, runtime, who

docs_app = typer.Typer(no_args_is_help=True, help="The notice's documents, made from the case data (Word, PDF, Excel).")
Out = Annotated[Path | None, typer.Option("--out", "-o", help="Where to write it (default: its own name, here).")]
Pdf = Annotated[bool, typer.Option("--pdf", help="As PDF (converted by LibreOffice).")]


def _save(document: Any, out: Path | None, as_json: bool) -> None:
    from notifications.files import write_private

    path = out or Path(document.filename)
    write_private(path, lambda file: file.write(document.data))  # names and ID numbers
    code = {"code": document.code} if document.code else {}
    emit(as_json, {"ok": True, "file": str(path), "bytes": len(document.data), **code},
         lambda: typer.echo(f"wrote {path}" + (f" (verification code {document.code})" if document.code else "")))


def _case_command(kind: str, help_: str) -> Any:
    def command(case: CaseId, out: Out = None, pdf: Pdf = False, as_json: JsonOut = False) -> None:
        from workflow.documents.produce import case_document

        with guarded(as_json):
            rt = runtime()
            _save(case_document(rt.engine(), who(), kind, case, rt.clock.now(), pdf), out, as_json)

    command.__doc__ = help_
    return command


def _unit_command(kind: str, help_: str) -> Any:
    def command(unit: Annotated[str, typer.Argument(help="The unit's code.")], out: Out = None, pdf: Pdf = False,
                as_json: JsonOut = False) -> None:
        from workflow.documents.produce import unit_document

        with guarded(as_json):
            rt = runtime()
            _save(unit_document(rt.engine(), who(), kind, unit, rt.clock.now(), pdf), out, as_json)

    command.__doc__ = help_
    return command


@docs_app.command("review-form")
def review_form(case: CaseId, out: Out = None, as_json: JsonOut = False) -> None:
    """《专业技术职务任职资格评审表》 for a case after online approval: two A4 pages (PDF) with
    the watermark and the verification code the paper desk checks."""
    from workflow.documents.review_form import review_form as produce

    with guarded(as_json):
        rt = runtime()
        _save(produce(rt.engine(), who(), case, rt.clock.now(), store=rt.materials), out, as_json)


@docs_app.command("confirmed-list")
def confirmed_list(
    campaign: Annotated[str, typer.Argument(help="The campaign's code, e.g. luntai-2024.")],
    out: Out = None, pdf: Pdf = False,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="As an Excel workbook.")] = False,
    as_json: JsonOut = False,
) -> None:
    """确认名单: the campaign's confirmed cases, for the bureau's decision (county staff)."""
    from workflow.documents.produce import confirmed_list as produce

    with guarded(as_json):
        rt = runtime()
        _save(produce(rt.engine(), who(), campaign, rt.clock.now(), xlsx, pdf), out, as_json)


for name, kind, text in (
    ("commitment", "commitment", "个人承诺书 for a case: name and full ID number filled in, the text to copy by hand."),
    ("teacher-statement", "teacher_statement", "师德师风情况说明 for a teacher's case (refused for other series)."),
    ("paper-receipt", "paper_receipt", "纸质材料受理回执 for a case whose paper file was received."),
):
    docs_app.command(name)(_case_command(kind, text))
for name, kind, text in (
    ("unit-publicity", "unit_publicity", "推荐单位公示 for a unit: its cases in publicity, the period, whom to tell."),
    ("publicity-result", "publicity_result", "推荐单位公示结果 for a unit: each case's outcome and the unit opinion."),
):
    docs_app.command(name)(_unit_command(kind, text))


def register(app: typer.Typer) -> None:
    app.add_typer(docs_app, name="docs")
