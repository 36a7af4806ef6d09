"""`backup DIR` and `restore DIR`: the database and the applicants' files, together."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workflow.cli.common import JsonOut, emit, guarded, runtime, who


def backup(
    folder: Annotated[Path, typer.Argument(help="A new (or empty) folder for the backup.")],
    as_json: JsonOut = False,
) -> None:
    """Back up the database and every stored file, with a manifest of their hashes (administrators)."""
    from workflow.usecases.backup import backup as back_up

    with guarded(as_json):
        rt = runtime()
        done = back_up(rt.engine(), rt.materials, who(), folder, rt.clock.now())
        emit(as_json, done, lambda: typer.echo(
            f"backed up the {done['database']} database and {done['files']} file(s) to {folder}"
            f" ({done['bytes'] / 1048576:.1f} MB)"))


def restore(
    folder: Annotated[Path, typer.Argument(help="A folder `chuding backup` wrote.")],
    as_json: JsonOut = False,
) -> None:
    """Restore a backup into an empty database and an empty store, after checking all of it."""
    from workflow.usecases.backup import restore as put_back

    with guarded(as_json):
        rt = runtime()
        done = put_back(rt.url, rt.materials, folder)
        emit(as_json, done, lambda: typer.echo(
            f"restored the {done['database']} database and {done['files']} file(s) from {folder}"
            f" (made {done['made_at']}); run `chuding materials verify` to re-read every file"))


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
