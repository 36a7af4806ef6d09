"""Messages reach people and are never lost: real SMTP and HTTP servers, both databases."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from notifications.outbox import OUTBOX
from notifications.rendering import KINDS
from notifications.settings import NotificationSettings
from states.values import Event
from tests.support.helpers import bj, engineer, valid_id, with_id
from tests.support.mailserver import Certificates, Inbox, smtp_server
from tests.support.pgserver import free_port
from tests.support.relay import relay_process, settings
from tests.support.world import World
from workflow.runtime.clock import SystemClock
from workflow.usecases.messages import send_outbox
from workflow.usecases.outbox import requeue


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("tls"))


def outbox(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(OUTBOX).order_by(OUTBOX.c.id)))


def emails(engine: sa.Engine) -> list[Any]:
    return [r for r in outbox(engine) if r.channel == "email"]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_transition_delivers_its_email(engine: sa.Engine, tmp_path: Path, certs: Certificates,
                                         security: str) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 9, 11, 30))
    port = free_port()
    with smtp_server(port, certs, security) as inbox:
        report = send_outbox(engine, settings(tmp_path, port, certs, smtp_security=security), SystemClock())
    assert (report.sent, report.dead) == (4, 0)  # import and submit, each by e-mail and SMS
    submitted = next(m for m in inbox.messages if "已提交" in str(m["Subject"]))
    assert str(submitted["Subject"]) == "初定职申报已提交（第 1 号）"
    assert str(submitted["To"]) == "aili@example.cn"
    assert str(submitted["From"]) == "轮台县人社局 <chuding@rsj.luntai.example>"
    text = submitted.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = submitted.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "652822********0018" in text and "652822199901010018" not in str(submitted)
    assert "2024-10-09 11:30 提交" in text.replace("于 ", "") or "2024-10-09 11:30" in text
    assert "2024-10-31 18:00" in text and "0996-4682378" in text and "唐双" in html
    row = next(r for r in emails(engine) if r.kind == "submit")
    assert row.key == "case1/v2/submit/email" and row.status == "sent"
    from notifications.mail import message_id

    assert str(submitted["Message-ID"]) == message_id(row.key, "chuding@rsj.luntai.example")


def test_server_down_then_up_everything_arrives_and_dead_rows_can_be_revived(
    engine: sa.Engine, tmp_path: Path, certs: Certificates,
) -> None:
    world = World(engine)
    world.import_([with_id(engineer(), valid_id(i)) for i in range(3)])
    port = free_port()  # nothing listens there yet
    config = settings(tmp_path, port, certs)
    first = send_outbox(engine, config, SystemClock())
    assert (first.sent, first.retrying) == (3, 3)  # the SMS went to the file gateway
    assert {r.status for r in emails(engine)} == {"pending"}
    assert all("Connect" in (r.last_error or "") or "refused" in (r.last_error or "") for r in emails(engine))
    time.sleep(0.1)
    with smtp_server(port, certs) as inbox:
        second = send_outbox(engine, config, SystemClock())
    assert second.sent == 3 and len(inbox.messages) == 3
    assert [r.attempts for r in emails(engine)] == [2, 2, 2]

    world.import_([with_id(engineer(), valid_id(7))])
    for _ in range(config.relay_max_attempts):
        send_outbox(engine, config, SystemClock())
        time.sleep(0.3)
    dead = [r for r in emails(engine) if r.status == "dead"]
    assert len(dead) == 1 and dead[0].attempts == config.relay_max_attempts and dead[0].last_error
    assert requeue(engine, "admin", None, SystemClock().now()) == 1
    with smtp_server(port, certs) as inbox:
        send_outbox(engine, config, SystemClock())
    assert [str(m["Message-ID"]) for m in inbox.messages] == [
        __import__("notifications.mail").mail.message_id(dead[0].key, config.mail_from)
    ]


def test_wrong_password_is_not_delivered(engine: sa.Engine, tmp_path: Path, certs: Certificates) -> None:
    World(engine).import_([engineer()])
    port = free_port()
    with smtp_server(port, certs) as inbox:
        config = settings(tmp_path, port, certs, smtp_password="wrong", smtp_timeout_seconds=1)
        report = send_outbox(engine, config, SystemClock())
    assert inbox.messages == [] and report.sent == 1  # only the SMS
    [row] = emails(engine)
    assert row.status == "pending" and row.last_error  # kept for a retry once the password is fixed


def test_only_reachable_channels_and_bad_addresses_are_dead_with_the_reason(engine: sa.Engine) -> None:
    world = World(engine)
    phone_only = with_id(engineer(), valid_id(1))
    phone_only["applicant"].pop("email")
    email_only = with_id(engineer(), valid_id(2))
    email_only["applicant"].pop("phone")
    world.import_([phone_only, email_only])
    assert [(r.case_id, r.channel) for r in outbox(engine)] == [(1, "sms"), (2, "email")]
    with engine.begin() as conn:  # an address that went bad after import
        conn.execute(sa.text("UPDATE applicant SET email = 'not-an-address' WHERE id = 2"))
    world.run(2, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    last = outbox(engine)[-1]
    assert (last.status, last.last_error) == ("dead", "invalid e-mail address: 'not-an-address'")


def test_the_same_event_never_writes_a_message_twice(engine: sa.Engine) -> None:
    from notifications.outbox import Message, enqueue

    World(engine).import_([engineer()])
    before = outbox(engine)
    again = [Message(r.key, r.kind, r.channel, r.recipient, {}, r.case_id) for r in before]
    with engine.begin() as conn:
        enqueue(conn, again)
    assert len(outbox(engine)) == len(before)


def test_relay_killed_mid_batch_then_restarted_delivers_everything(
    engine: sa.Engine, db_url: str, tmp_path: Path, certs: Certificates,
) -> None:
    World(engine).import_([with_id(engineer(), valid_id(i)) for i in range(60)])
    port = free_port()
    config = settings(tmp_path, port, certs, relay_lease_seconds=1, relay_batch=60, relay_concurrency=2)
    inbox = Inbox(delay=0.02)
    with smtp_server(port, certs, inbox=inbox):
        relay = relay_process(db_url, config)
        deadline = time.monotonic() + 60
        while len(inbox.messages) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        relay.send_signal(signal.SIGKILL)
        relay.communicate()
        assert 10 <= len(inbox.messages) < 60, "the relay should have died mid-batch"
        time.sleep(1.2)  # the dead relay's lease runs out
        again = relay_process(db_url, config)
        _, errors = again.communicate(timeout=120)
        assert again.returncode == 0, errors
    rows = emails(engine)
    from notifications.mail import message_id

    expected = {message_id(r.key, config.mail_from) for r in rows}
    received = Counter(inbox.ids())
    assert set(received) == expected  # every message arrived, and nothing else
    assert all(r.status == "sent" for r in rows)
    repeats = {mid for mid, n in received.items() if n > 1}
    from notifications.relay import repeat_bound

    # Only rows sent but not yet marked when the relay died can repeat.
    assert len(repeats) <= repeat_bound(config.relay_concurrency)


def test_two_relays_on_postgresql_send_each_message_once(
    pg_engine: sa.Engine, tmp_path: Path, certs: Certificates,
) -> None:
    engine, db_url = pg_engine, pg_engine.url.render_as_string(hide_password=False)
    World(engine).import_([with_id(engineer(), valid_id(i)) for i in range(120)])
    port = free_port()
    config = settings(tmp_path, port, certs, relay_batch=10, relay_concurrency=2)
    inbox = Inbox(delay=0.005)
    with smtp_server(port, certs, inbox=inbox):
        relays = [relay_process(db_url, config) for _ in range(2)]
        outputs = [r.communicate(timeout=120) for r in relays]
    assert [r.returncode for r in relays] == [0, 0], outputs
    sent_by = Counter(r.claimed_by for r in emails(engine))
    assert len(sent_by) == 2, (sent_by, outputs)  # both relays did part of the work
    assert Counter(inbox.ids()).most_common(1)[0][1] == 1 and len(inbox.ids()) == 120


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append({"headers": dict(self.headers), "body": json.loads(body)})
        answer = json.dumps({"Code": "OK"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        return None


def test_sms_http_gateway_request(engine: sa.Engine, tmp_path: Path) -> None:
    world = World(engine)
    record = engineer()
    record["applicant"].pop("email")
    world.import_([record])
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received = []
    try:
        config = NotificationSettings(
            sms_url=f"http://127.0.0.1:{server.server_port}/sms", sms_access_key="AK1", sms_secret="sk",
            sms_sign_name="轮台县人社局", sms_template_codes={**{k: "SMS_999" for k in KINDS}, "import": "SMS_100001"},
            mail_dir=tmp_path / "mail",
        )
        assert send_outbox(engine, config, SystemClock()).sent == 1
    finally:
        server.shutdown()
        server.server_close()
    [request] = _Gateway.received
    body = request["body"]
    assert body["SignName"] == "轮台县人社局" and body["TemplateCode"] == "SMS_100001"
    assert body["PhoneNumbers"] == "13899990001" and body["OutId"] == "case1/v1/import/sms"
    assert json.loads(body["TemplateParam"]) == {
        "name": "艾力·买买提", "case": "1", "deadline": "2024-10-30 18:00", "phone": "0996-4682378",
    }
    assert request["headers"]["X-Access-Key"] == "AK1" and request["headers"]["X-Signature"]
