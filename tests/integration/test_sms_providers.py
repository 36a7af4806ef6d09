"""SMS through Alibaba Cloud and Tencent Cloud, through their own SDKs, against local
servers that check every request's signature as the providers do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from notifications.channels import channels
from notifications.errors import SettingsError
from notifications.outbox import OUTBOX
from notifications.receipts import collect
from notifications.rendering import KINDS
from notifications.settings import NotificationSettings
from tests.support.helpers import engineer, teacher
from tests.support.smsproviders import ACCESS_KEY, SECRET, TENCENT_APP, Aliyun, Provider, Tencent, serving
from tests.support.world import UNIT_OF, World
from workflow.reads.cases import case_for
from workflow.reads.status import status_for
from workflow.runtime.clock import SystemClock
from workflow.usecases.messages import send_outbox

PHONE, OTHER = "13899990001", "13899990002"
CODES = {kind: f"SMS_{100000 + i}" for i, kind in enumerate(KINDS)}


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    with serving(Aliyun() if request.param == "aliyun" else Tencent()) as found:
        found.name = request.param  # type: ignore[attr-defined]
        yield found


def settings_for(provider: Provider, tmp: Path, **extra: Any) -> NotificationSettings:
    given: dict[str, Any] = {
        "sms_provider": provider.name, "sms_access_key": ACCESS_KEY, "sms_secret": SECRET,  # type: ignore[attr-defined]
        "sms_endpoint": f"127.0.0.1:{provider.port}", "sms_endpoint_scheme": "http", "sms_sdk_app_id": TENCENT_APP,
        "sms_template_codes": CODES, "sms_template_params": {"import": ["name", "case", "deadline"]},
        "relay_backoff_seconds": 0, "sms_timeout_seconds": 5, "mail_dir": tmp / "mail"}
    return NotificationSettings(**{**given, **extra})


def sms_rows(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(OUTBOX).where(OUTBOX.c.channel == "sms").order_by(OUTBOX.c.id)))


def applicants(world: World, *phones: str) -> None:
    records = []
    for phone, record in zip(phones, (engineer(), teacher()), strict=False):
        record["applicant"].pop("email", None)
        record["applicant"]["phone"] = phone
        records.append(record)
    world.import_(records)


def test_a_message_goes_through_the_sdk_and_its_id_is_kept(engine: sa.Engine, provider: Provider,
                                                           tmp_path: Path) -> None:
    world = World(engine)
    applicants(world, PHONE)
    assert send_outbox(engine, settings_for(provider, tmp_path), SystemClock()).sent == 1
    [row] = sms_rows(engine)
    [request] = provider.received
    assert row.status == "sent" and row.provider_id and provider.rejected_signatures == 0
    if isinstance(provider, Aliyun):
        assert request["SignName"] == "轮台县人社局" and request["TemplateCode"] == CODES["import"]
        assert request["PhoneNumbers"] == PHONE and request["OutId"] == row.key
        said = {"name": "艾力·买买提", "case": "1", "deadline": "2024-10-30 18:00"}
        assert json.loads(request["TemplateParam"]) == said
        assert row.provider_id.startswith("9")
    else:
        assert request["SmsSdkAppId"] == TENCENT_APP and request["TemplateId"] == CODES["import"]
        assert request["PhoneNumberSet"] == [f"+86{PHONE}"] and request["SessionContext"] == row.key
        assert request["TemplateParamSet"] == ["艾力·买买提", "1", "2024-10-30 18:00"]  # the template's order
        assert row.provider_id.startswith("2433:")


def test_throttling_is_retried_and_a_bad_number_is_dead_with_the_provider_s_code(
        engine: sa.Engine, provider: Provider, tmp_path: Path) -> None:
    world = World(engine)
    applicants(world, PHONE, OTHER)
    provider.throttle[PHONE] = 1
    provider.refuse[OTHER] = (("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号") if isinstance(provider, Aliyun)
                              else ("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"))
    settings = settings_for(provider, tmp_path)
    first = send_outbox(engine, settings, SystemClock())
    assert (first.sent, first.retrying, first.dead) == (0, 1, 1)
    throttled, refused = sms_rows(engine)
    assert throttled.status == "pending" and ("BUSINESS_LIMIT_CONTROL" in throttled.last_error
                                              or "ThirtySecondLimit" in throttled.last_error)
    assert refused.status == "dead" and provider.refuse[OTHER][0] in refused.last_error
    assert send_outbox(engine, settings, SystemClock()).sent == 1
    assert sms_rows(engine)[0].status == "sent" and sms_rows(engine)[0].provider_id


def test_a_wrong_secret_is_refused_by_the_signature_check_and_pauses_the_relay(
        engine: sa.Engine, provider: Provider, tmp_path: Path) -> None:
    world = World(engine)
    applicants(world, PHONE, OTHER)
    settings = settings_for(provider, tmp_path, sms_secret="not the provider's secret", relay_concurrency=1)
    relay_channels = channels(settings)
    report = send_outbox(engine, settings, SystemClock(), through=relay_channels)
    assert (report.sent, report.dead) == (0, 1)
    assert provider.rejected_signatures == 1  # the second message was not even tried
    dead, waiting = sms_rows(engine)
    assert dead.status == "dead"
    assert "SignatureDoesNotMatch" in dead.last_error or "SignatureFailure" in dead.last_error
    assert waiting.status == "pending" and waiting.attempts == 0 and relay_channels.sms.paused_until is not None
    assert send_outbox(engine, settings, SystemClock(), through=relay_channels).sent == 0
    assert provider.rejected_signatures == 1  # still paused: the provider is not hammered


def test_delivery_receipts_are_recorded_and_a_failed_important_one_is_shown_to_staff(
        engine: sa.Engine, provider: Provider, tmp_path: Path) -> None:
    world = World(engine)
    applicants(world, PHONE, OTHER)
    settings = settings_for(provider, tmp_path)
    relay_channels = channels(settings)
    send_outbox(engine, settings, SystemClock(), through=relay_channels)
    first, second = sms_rows(engine)
    provider.receipts[first.provider_id] = (True, "")
    provider.receipts[second.provider_id] = (False, "MK:0001 用户停机")
    assert collect(engine, relay_channels.sms, SystemClock().now()) == 2
    first, second = sms_rows(engine)
    assert first.delivery == "delivered" and second.delivery == "failed" and "停机" in second.delivery_detail
    now = SystemClock().now()
    # An import notice is not among the important ones.
    assert status_for(engine, "paper", now, now)["undelivered"] == []
    with engine.begin() as conn:
        conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == second.id).values(kind="return_for_correction"))
    [shown] = status_for(engine, "paper", now, now)["undelivered"]
    assert shown["id"] == second.id and shown["recipient"] == "138****0002"
    # A unit operator sees what failed on their own unit's cases only.
    unit = case_for(engine, "admin", second.case_id, now)["unit"]
    [mine] = status_for(engine, UNIT_OF[unit], now, now)["undelivered"]
    assert mine["id"] == second.id
    [other] = [login for code, login in UNIT_OF.items() if code != unit]
    assert status_for(engine, other, now, now)["undelivered"] == []


def test_a_kind_without_an_approved_template_is_refused_at_start(provider: Provider, tmp_path: Path) -> None:
    codes = {k: v for k, v in CODES.items() if k not in ("expire", "reject")}
    with pytest.raises(SettingsError) as refused:
        channels(settings_for(provider, tmp_path, sms_template_codes=codes))
    assert "'expire'" in str(refused.value) and "'reject'" in str(refused.value)
    with pytest.raises(SettingsError, match="unknown variable 'id_number'"):
        channels(settings_for(provider, tmp_path, sms_template_params={"submit": ["name", "id_number"]}))
