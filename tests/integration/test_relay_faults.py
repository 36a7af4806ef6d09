"""Relays racing each other and relays killed mid-work: nothing lost, nothing sent twice
beyond the bound the README states."""

from __future__ import annotations

import json
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from notifications.mail import message_id
from notifications.outbox import OUTBOX
from notifications.relay import repeat_bound
from notifications.rendering import UnmaskedIdNumber
from notifications.sms import variables
from tests.support.helpers import ID_A, engineer, valid_id, with_id
from tests.support.mailserver import Certificates, Inbox, smtp_server
from tests.support.pgserver import free_port
from tests.support.relay import relay_process, settings
from tests.support.world import World


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("certs"))


def _sms_keys(folder: Path) -> Counter[str]:
    path = folder / "sms.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return Counter(json.loads(line)["OutId"] for line in lines)


def _rows(engine: sa.Engine, channel: str) -> list[sa.Row[tuple[str, str]]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(OUTBOX.c.key, OUTBOX.c.status).where(OUTBOX.c.channel == channel)))


def test_four_relays_at_once_send_every_message_exactly_once(
    engine: sa.Engine, db_url: str, tmp_path: Path, certs: Certificates,
) -> None:
    World(engine).import_([with_id(engineer(), valid_id(i)) for i in range(100)])
    port = free_port()
    config = settings(tmp_path, port, certs, relay_batch=10, relay_concurrency=2,
                      sms_dir=tmp_path / "sms")
    inbox = Inbox(delay=0.002)
    with smtp_server(port, certs, inbox=inbox):
        relays = [relay_process(db_url, config) for _ in range(4)]
        outputs = [r.communicate(timeout=180) for r in relays]
    assert [r.returncode for r in relays] == [0, 0, 0, 0], outputs
    emails, texts = _rows(engine, "email"), _rows(engine, "sms")
    assert len(emails) == len(texts) == 100
    received = Counter(inbox.ids())
    assert received == Counter({message_id(r.key, config.mail_from): 1 for r in emails})
    assert _sms_keys(tmp_path / "sms") == Counter({r.key: 1 for r in texts})
    assert {r.status for r in emails + texts} == {"sent"}


def test_kills_at_random_points_lose_nothing_and_repeat_within_the_bound(
    engine: sa.Engine, db_url: str, tmp_path: Path, certs: Certificates,
) -> None:
    World(engine).import_([with_id(engineer(), valid_id(i)) for i in range(150)])
    port = free_port()
    config = settings(tmp_path, port, certs, relay_lease_seconds=0.5, relay_batch=50,
                      relay_concurrency=2, sms_dir=tmp_path / "sms")
    bound = repeat_bound(config.relay_concurrency)  # per channel, per kill: as the README says
    rng = random.Random(8)
    inbox = Inbox(delay=0.02)
    kills = 0
    with smtp_server(port, certs, inbox=inbox):
        for _ in range(3):
            before = len(inbox.messages)
            relay = relay_process(db_url, config)
            # Kill it at a random point once it is sending (not before it has started).
            deadline = time.monotonic() + 30
            while len(inbox.messages) < before + 3 and relay.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.4))
            if relay.poll() is None:
                relay.send_signal(signal.SIGKILL)
                kills += 1
            relay.communicate()
            time.sleep(0.6)  # the dead relay's lease runs out
        last = relay_process(db_url, config)
        _, errors = last.communicate(timeout=180)
        assert last.returncode == 0, errors
    assert kills >= 1, "no relay was killed mid-work"
    emails, texts = _rows(engine, "email"), _rows(engine, "sms")
    received, sms_sent = Counter(inbox.ids()), _sms_keys(tmp_path / "sms")
    assert set(received) == {message_id(r.key, config.mail_from) for r in emails}  # none lost
    assert set(sms_sent) == {r.key for r in texts}
    assert {r.status for r in emails + texts} == {"sent"}
    for channel, counted in (("email", received), ("sms", sms_sent)):
        repeats = sum(n - 1 for n in counted.values())
        assert repeats <= kills * bound, (channel, repeats, kills, bound)


def test_an_sms_variable_holding_a_full_id_number_is_refused() -> None:
    for spelled in (ID_A, "６５２８２２１９９９０１０１００１８"):
        with pytest.raises(UnmaskedIdNumber):
            variables("import", {"greeting": f"申报人 {spelled}", "case": 1}, 70)
    assert variables("import", {"greeting": "艾力", "case": 1}, 70)["name"] == "艾力"


def test_a_claim_takes_at_most_its_limit(engine: sa.Engine) -> None:
    from datetime import UTC, datetime, timedelta

    from notifications.outbox import Message, claim, enqueue

    with engine.begin() as conn:
        enqueue(conn, [Message(f"k{i}", "import", "email", "a@example.cn", {}) for i in range(50)])
    later = datetime.now(UTC) + timedelta(seconds=1)
    first = claim(engine, 10, later, later, timedelta(minutes=5), "one")
    second = claim(engine, 10, later, later, timedelta(minutes=5), "two")
    assert len(first) == len(second) == 10
    assert not {r.id for r in first} & {r.id for r in second}
