"""The ``chuding`` admin command: a thin adapter over the service layer.

Exit codes: 0 done; 1 refused (every reason printed); 2 bad usage; 3 conflict with a
concurrent command; 4 database or notice config unusable. Heavy modules are imported
inside the commands that need them, so a quick command starts quickly.
"""

from __future__ import annotations

import os
import sys

# Before anything slow is imported: a SIGTERM to `chuding serve` in its first moments is a
# clean stop (exit 0), not the end of the process by the signal.
if "serve" in sys.argv[1:]:
    from workflow.cli.signals import listen_for_stop

    listen_for_stop()

from typing import Annotated  # noqa: E402 - after the stop is listened for

import typer  # noqa: E402

from workflow.cli import admin, backup, cases, docs, materials, outbox, service  # noqa: E402
from workflow.cli.common import OPTIONS  # noqa: E402

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False)


@app.callback()
def _global(
    context: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", help="SQLite file path or database URL (default: chuding.sqlite3; setting CHUDING_DATABASE_URL).",
    )] = None,
    operator: Annotated[str | None, typer.Option(
        "--as", help="The acting operator's login (setting CHUDING_OPERATOR).",
    )] = None,
) -> None:
    """chuding: the 初定职 approval workflow. Times are shown in Beijing time."""
    OPTIONS.db, OPTIONS.operator, OPTIONS.built = db, operator, None
    context.call_on_close(_close_runtime)


def _close_runtime() -> None:
    if OPTIONS.built is not None:
        OPTIONS.built.close()


admin.register(app)
cases.register(app)
service.register(app)
outbox.register(app)
docs.register(app)
materials.register(app)
backup.register(app)


def main() -> None:
    if not sys.stdout.isatty():
        # Piped or redirected: rich would squeeze tables to 80 columns; give them room.
        os.environ.setdefault("COLUMNS", "160")
    app()
