"""The applicant's own page, by the signed link their e-mails carry: valid, tampered, expired."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from notifications.errors import SettingsError
from notifications.settings import NotificationSettings
from states.status import Status
from states.values import Event
from tests.support.helpers import ID_A, NOTICE, bj, engineer, teacher
from tests.support.world import World
from workflow.runtime.bootstrap import bootstrap
from workflow.runtime.clock import SystemClock
from workflow.runtime.settings import Settings, read_settings
from workflow.usecases.links import sign
from workflow.usecases.messages import send_outbox
from workflow.web import create_app

SECRET = "a county bureau's secret, 32+ characters long"
NOW = bj(2024, 10, 9, 10)


@pytest.fixture
def public(db_url: str, engine: sa.Engine, tmp_path: Path) -> Iterator[tuple[World, TestClient, NotificationSettings]]:
    world = World(engine)
    world.import_([engineer(), teacher()])
    settings = NotificationSettings(public_base_url="https://chuding.example.cn/", link_secret=SECRET,
                                    mail_dir=tmp_path / "mail", sms_dir=tmp_path / "sms")
    app = create_app(bootstrap(Settings(database_url=db_url, now=NOW.isoformat(), messages=settings)))
    with TestClient(app, follow_redirects=False) as client:
        yield world, client, settings
    app.state.engine.dispose()


def test_the_link_in_an_e_mail_opens_the_case_s_page_with_masked_data_only(public, engine) -> None:  # type: ignore[no-untyped-def]
    world, client, settings = public
    world.run(1, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    send_outbox(engine, settings, SystemClock())  # rows are due by the database's own clock
    mails = [message_from_bytes(p.read_bytes(), policy=default) for p in sorted(settings.mail_dir.glob("*.eml"))]
    texts = [m.get_body(("plain",)).get_content() for m in mails]  # type: ignore[union-attr]
    links = {re.search(r"https://chuding\.example\.cn(/status/\S+)", t).group(1) for t in texts if "/status/" in t}  # type: ignore[union-attr]
    assert links, texts
    page = client.get(sorted(links)[0])
    assert page.status_code == 200 and "申报办理进度" in page.text
    assert ID_A not in page.text and "652822********0018" in page.text
    assert "艾****" in page.text and "艾力·买买提" not in page.text
    assert Status.SUBMITTED.label in page.text  # where it stands now, whichever message's link
    assert NOTICE.contact.phone in page.text  # whom to ask
    assert "<script" not in page.text and page.headers["referrer-policy"] == "no-referrer"


def test_a_tampered_or_expired_link_shows_nothing(public) -> None:  # type: ignore[no-untyped-def]
    _, client, _ = public
    good = sign(SECRET, 1, NOW + timedelta(days=1))
    assert client.get(f"/status/{good}").status_code == 200
    case, expires, signature = good.split(".")
    for bad in (f"2.{expires}.{signature}", f"{case}.{int(expires) + 86400}.{signature}",
                f"{case}.{expires}.{signature[:-1]}A", f"{case}.{expires}", "1", "../../etc/passwd", "１.２.３"):
        refused = client.get(f"/status/{bad}")
        assert refused.status_code == 404, bad
        assert "652822" not in refused.text and "申报人" not in refused.text
        if bad.count(".") == 2 or bad.isdecimal():
            assert "此链接无效或已过期" in refused.text
    expired = sign(SECRET, 1, NOW - timedelta(seconds=1))
    assert client.get(f"/status/{expired}").status_code == 404
    other_secret = sign("another bureau's secret, also 32 characters", 1, NOW + timedelta(days=1))
    assert client.get(f"/status/{other_secret}").status_code == 404


def test_a_public_address_without_a_secret_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHUDING_PUBLIC_BASE_URL", "https://chuding.example.cn")
    with pytest.raises(SettingsError, match="CHUDING_LINK_SECRET"):
        read_settings()
    monkeypatch.setenv("CHUDING_LINK_SECRET", "short")
    with pytest.raises(SettingsError, match="at least 32"):
        read_settings()


def test_the_applicant_s_page_shows_each_returned_slot_and_its_reason_at_the_top(public) -> None:  # type: ignore[no-untyped-def]
    world, client, _ = public
    world.run(1, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    world.run(1, Event.START_REVIEW, "reviewer", bj(2024, 10, 8, 11))
    world.run(1, Event.RETURN_FOR_CORRECTION, "reviewer", bj(2024, 10, 8, 12), reason="请按所列材料修改",
              slots=(("chsi_record-1", "须为近三个月内下载<b>"), ("photo", "照片不清晰")))
    page = client.get(f"/status/{sign(SECRET, 1, NOW)}").text
    top = page.split('class="refusal returned"')[1].split("</div>")[0]
    assert "一寸免冠照：照片不清晰" in top and "须为近三个月内下载&lt;b&gt;" in top  # markup is text
    assert top.index("一寸免冠照") < top.index("学信网")  # in the notice's order, not the reviewer's
    assert page.index("refusal returned") < page.index("申报编号")
