"""The relay sending 2,000 e-mails to a local SMTP server, against a bare aiosmtplib loop.

Both send the same messages over the same number of concurrent connections to the same
aiosmtpd server in this process's run; the relay also claims, renders and marks each
row in the database (SQLite, WAL, synchronous=FULL), and reads each batch's applicants
for the part of the message a row does not store.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiosmtplib  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from notifications import mail  # noqa: E402
from notifications.outbox import Message, enqueue  # noqa: E402
from notifications.relay import Relay  # noqa: E402
from notifications.rendering import Renderer  # noqa: E402
from notifications.settings import NotificationSettings  # noqa: E402
from tests.conftest import _free_port  # noqa: E402
from tests.support.helpers import valid_id  # noqa: E402
from tests.unit.test_messages import context  # noqa: E402
from workflow.runtime.clock import SystemClock  # noqa: E402
from workflow.store.db import make_engine, upgrade  # noqa: E402
from workflow.store.tables import APPLICANTS, CASES, UNITS  # noqa: E402
from workflow.usecases.campaigns import load_notice  # noqa: E402
from workflow.usecases.messages import case_context, shared_contexts  # noqa: E402

MESSAGES = 2000
ROUNDS = 3
CONCURRENCY = 4


class Sink:
    count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        Sink.count += 1
        return "250 OK"


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the SMTP server did not start")


def settings(port: int) -> NotificationSettings:
    return NotificationSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                                relay_concurrency=CONCURRENCY, relay_batch=500)


async def bare(port: int, messages: list[EmailMessage]) -> None:
    queue: asyncio.Queue[EmailMessage] = asyncio.Queue()
    for m in messages:
        queue.put_nowait(m)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while not queue.empty():
            await client.send_message(queue.get_nowait())
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def serve(port: int) -> None:
    """The SMTP server, in a process of its own as a real mail server would be."""
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    time.sleep(3600)


def own_context() -> dict[str, Any]:
    """What a real outbox row holds of its own: the event's part (the relay adds the
    campaign's and the person's)."""
    from states.clock import BEIJING
    from tests.support.domain import applicant
    from tests.support.helpers import NOTICE

    return case_context(NOTICE, applicant(), datetime(2024, 10, 9, 11, 30, tzinfo=BEIJING))


def people(conn: sa.Connection) -> None:
    """An applicant and a case behind each message, as in real use."""
    now = datetime.now(UTC)
    conn.execute(sa.insert(UNITS), {"code": "U1", "name": "水利站", "level": "县级", "type": "事业单位"})
    people = [{"id": i, "id_number": valid_id(i), "name": f"申报人{i}"} for i in range(1, MESSAGES + 1)]
    conn.execute(sa.insert(APPLICANTS), people)
    conn.execute(sa.insert(CASES), [{"id": i, "campaign_id": 1, "applicant_id": i, "unit_id": 1, "state": "submitted",
                                 "version": 2, "application": "{}", "created_at": now, "updated_at": now}
                                for i in range(1, MESSAGES + 1)])


def main() -> None:
    port = _free_port()
    server = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    server.start()
    _wait_for(port)
    try:
        ctx = context("submit")
        config = settings(port)
        rendered = Renderer().email("submit", ctx)
        bare_rates, relay_rates = [], []
        for round_ in range(ROUNDS):  # alternate, so drift on the machine hits both alike
            prepared = [mail.build(rendered, f"p{i}@example.cn", f"bare/{round_}/{i}", config, datetime.now(UTC))
                        for i in range(MESSAGES)]
            start = time.perf_counter()
            asyncio.run(bare(port, prepared))
            bare_rates.append(MESSAGES / (time.perf_counter() - start))
            relay_rates.append(relay_rate(config, own_context(), round_))
    finally:
        server.terminate()
    bare_rate, relay_rate_ = statistics.median(bare_rates), statistics.median(relay_rates)
    print(f"relay {relay_rate_:7.0f} e-mails/s   bare aiosmtplib {bare_rate:7.0f} e-mails/s   "
          f"ratio {relay_rate_ / bare_rate:.2f} (target >= 0.8); {MESSAGES} messages, "
          f"{CONCURRENCY} connections, median of {ROUNDS} rounds")


def relay_rate(config: NotificationSettings, own: dict[str, Any], round_: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'relay.sqlite3'}")
        upgrade(engine)
        with engine.begin() as conn:
            load_notice(conn, ROOT / "config" / "luntai-2024.toml")
            people(conn)
            enqueue(conn, [Message(f"bench/{round_}/{i}", "submit", "email", f"p{i}@example.cn", own, i, 1)
                           for i in range(1, MESSAGES + 1)])
        start = time.perf_counter()
        report = asyncio.run(Relay(engine, config, SystemClock(), shared_contexts(engine)).run_once())
        elapsed = time.perf_counter() - start
        engine.dispose()
    assert report.sent == MESSAGES, report
    return MESSAGES / elapsed


if __name__ == "__main__":
    main()
