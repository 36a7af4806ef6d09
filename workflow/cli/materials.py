"""The applicant's files: `materials add`, `list`, `get`, `verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from states.notice import LARGEST_FILE_MB
from states.refusals import Refusal, Refused
from workflow.cli.common import CaseId, JsonOut, emit, guarded, runtime, table, who

materials_app = typer.Typer(no_args_is_help=True, help="The applicant's files, by slot.")


@materials_app.command("add")
def materials_add(
    case: CaseId,
    slot: Annotated[str, typer.Argument(help="The material's code in the notice (id_scan, photo, ...).")],
    files: Annotated[list[Path], typer.Argument(help="The files: PDF, JPEG or PNG; several for the pages of one.")],
    as_json: JsonOut = False,
) -> None:
    """Upload files to a slot of a drafted or returned case: they become its new version."""
    from workflow.usecases.materials import Upload, add_materials

    with guarded(as_json):
        uploads = []
        for path in files:
            try:
                with path.open("rb") as given:  # a file over any notice's limit is not read whole
                    uploads.append(Upload(path.name, given.read(LARGEST_FILE_MB * 1024 * 1024 + 1)))
            except OSError as err:
                raise Refused([Refusal("material.file", f"cannot read {path}: {err.strerror}", "file")]) from None
        rt = runtime()
        done = add_materials(rt.engine(), rt.materials, who(), case, slot, uploads, rt.clock.now())
        emit(as_json, {"ok": True, **done}, lambda: typer.echo(
            f"case {case}: {slot} version {done['version']}, "
            + ", ".join(f"{f['file_name']} ({f['media_type']}, {f['pages']} page(s), {f['sha256'][:12]})"
                        for f in done["files"])))


@materials_app.command("list")
def materials_list(case: CaseId, as_json: JsonOut = False) -> None:
    """Every slot of a case with its current files; an empty slot is missing."""
    from workflow.usecases.materials import materials_for

    with guarded(as_json):
        slots = materials_for(runtime().engine(), who(), case)["slots"]
        emit(as_json, slots, lambda: table(
            f"case {case}: materials", ["slot", "name", "part", "file", "type", "pages", "SHA-256"],
            [[s["slot"], s["name"], f["part"], f["file_name"], f["media_type"], f["pages"], f["sha256"][:12]]
             for s in slots for f in s["files"]] + [[s["slot"], s["name"], "—", "missing", "", "", ""]
                                                    for s in slots if not s["files"]]))


@materials_app.command("get")
def materials_get(
    case: CaseId,
    slot: str,
    part: Annotated[int, typer.Option(help="Which file of the slot.", min=1, max=1000)] = 1,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Where to write it.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Write one current file of a slot (the view is recorded)."""
    from notifications.files import write_private
    from workflow.usecases.materials import material_for

    with guarded(as_json):
        rt = runtime()
        meta, data = material_for(rt.engine(), rt.materials, who(), case, slot, part)
        suffix = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[meta["media_type"]]
        target = out or Path(f"case{case}-{slot}-{part}{suffix}")
        write_private(target, lambda out_file: out_file.write(data))
        emit(as_json, {"ok": True, **meta, "written": str(target)}, lambda: typer.echo(f"wrote {target}"))


@materials_app.command("verify")
def materials_verify(as_json: JsonOut = False) -> None:
    """Re-read and re-hash every stored file; list what is missing or changed (administrators)."""
    from workflow.cli.common import EXIT_REFUSED, fail
    from workflow.usecases.materials import verify_materials

    with guarded(as_json):
        rt = runtime()
        report = verify_materials(rt.engine(), rt.materials, who())
    if not report["ok"]:  # exit 1, naming every file a row describes that the store lacks or altered
        fail(as_json, EXIT_REFUSED, "materials", [f"missing: {s}" for s in report["missing"]]
             + [f"changed: {s}" for s in report["changed"]])
    emit(as_json, report, lambda: typer.echo(
        f"{report['checked']} file(s) checked in {report['store']}: none missing or changed;"
        f" {len(report['unnamed'])} kept but named by no row"))


def register(app: typer.Typer) -> None:
    app.add_typer(materials_app, name="materials")
