"""Messages: `outbox send`, `list`, `show`, `retry`."""

from __future__ import annotations

from typing import Annotated

import typer

from notifications.statuses import OutboxStatus
from workflow.cli.common import MAX_ID, JsonOut, Limit, RowId, emit, guarded, runtime, table, who

outbox_app = typer.Typer(no_args_is_help=True, help="Messages waiting, sent and dead.")


@outbox_app.command("send")
def outbox_send(as_json: JsonOut = False) -> None:
    """Send every message that is due now, once (the service does this continuously)."""
    from workflow.usecases.messages import send_outbox

    with guarded(as_json):
        rt = runtime()
        report = send_outbox(rt.engine(), rt.settings.messages, rt.wall, through=rt.channels)
        emit(as_json, {"ok": True, **report.__dict__}, lambda: typer.echo(str(report)))


@outbox_app.command("list")
def outbox_list(
    status_: Annotated[OutboxStatus | None, typer.Option("--status", help="Only messages in this status.")] = None,
    case: Annotated[int | None, typer.Option(help="Only this case's messages.", min=1, max=MAX_ID)] = None,
    limit: Limit = 200,
    as_json: JsonOut = False,
) -> None:
    """List messages, newest first, recipients masked (county clerks and administrators)."""
    from workflow.usecases.outbox import messages_for

    with guarded(as_json):
        found = messages_for(runtime().engine(), who(), runtime().settings.messages, status_.value if status_ else None,
                             limit, case)
        emit(as_json, found, lambda: table(
            f"{len(found)} message(s)",
            ["id", "case", "kind", "channel", "recipient", "status", "attempts", "delivery", "last error"],
            [[r["id"], r["case_id"], r["kind"], r["channel"], r["recipient"], r["status"], r["attempts"],
              f"{r['delivery'] or ''} {(r['delivery_detail'] or '')[:30]}".strip(), (r["last_error"] or "")[:60]]
             for r in found],
        ))


@outbox_app.command("show")
def outbox_show(message: RowId, as_json: JsonOut = False) -> None:
    """One message as it will be (or was) sent, its recipient masked (county clerks and
    administrators)."""
    from workflow.usecases.outbox import message_for

    with guarded(as_json):
        data = message_for(runtime().engine(), who(), runtime().settings.messages, message)
        body = data["text"] if data["channel"] == "email" else data["sms"]
        emit(as_json, data, lambda: typer.echo(
            "\n".join(f"{k}: {v}" for k, v in data.items() if k not in ("text", "sms")) + f"\n\n{body}"))


@outbox_app.command("retry")
def outbox_retry(
    message: Annotated[list[int] | None, typer.Argument(help="Dead messages to send again (default: all dead).",
                                                        min=1, max=MAX_ID)] = None,
    as_json: JsonOut = False,
) -> None:
    """Re-queue dead messages (county clerks and administrators)."""
    from workflow.usecases.outbox import requeue

    with guarded(as_json):
        count = requeue(runtime().engine(), who(), message or None, runtime().wall.now())
        emit(as_json, {"ok": True, "requeued": count}, lambda: typer.echo(f"{count} message(s) re-queued"))


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
