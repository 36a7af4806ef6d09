"""A provider without an approved template for some kind of message is refused when the
service or `outbox send` starts, naming each kind, before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

from notifications.rendering import KINDS
from tests.support.helpers import NOTICE_FILE
from tests.support.service import chuding, env_for


def test_serve_and_outbox_send_refuse_a_provider_missing_templates(db_url: str, tmp_path: Path) -> None:
    codes = {kind: f"SMS_{i}" for i, kind in enumerate(KINDS) if kind != "expire"}
    env = env_for(db_url, tmp_path, CHUDING_SMS_PROVIDER="aliyun", CHUDING_SMS_ACCESS_KEY="AK",
                  CHUDING_SMS_SECRET="the secret", CHUDING_SMS_TEMPLATE_CODES=json.dumps(codes))
    chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    for args in (["outbox", "send"], ["serve", "--no-http"]):
        refused = chuding(env, *args, code=4)
        assert "no template for the message kind 'expire'" in refused.stderr, refused.stderr
        assert "'submit'" not in refused.stderr and "the secret" not in refused.stderr + refused.stdout
    assert not (tmp_path / "sms").exists()


def test_the_leading_service_sends_through_the_provider_and_records_its_receipts(db_url: str, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from notifications.outbox import OUTBOX
    from tests.support.service import prepare, serve, stop, wait_for
    from tests.support.smsproviders import ACCESS_KEY, SECRET, Aliyun, serving
    from workflow.store.db import make_engine

    with serving(Aliyun()) as provider:
        env = {**prepare(db_url, tmp_path), "CHUDING_SMS_PROVIDER": "aliyun", "CHUDING_SMS_ACCESS_KEY": ACCESS_KEY,
               "CHUDING_SMS_SECRET": SECRET, "CHUDING_SMS_ENDPOINT": f"127.0.0.1:{provider.port}",
               "CHUDING_SMS_ENDPOINT_SCHEME": "http", "CHUDING_SMS_RECEIPT_SECONDS": "0.5",
               "CHUDING_SMS_TEMPLATE_CODES": json.dumps({kind: f"SMS_{i}" for i, kind in enumerate(KINDS)})}
        engine = make_engine(db_url)

        def sms() -> list[sa.Row[tuple[str | None, str | None]]]:
            with engine.connect() as conn:
                query = sa.select(OUTBOX.c.provider_id, OUTBOX.c.delivery).where(OUTBOX.c.channel == "sms")
                return list(conn.execute(query))

        log = tmp_path / "serve.log"
        service = serve(env, log)
        try:
            wait_for(lambda: len(sms()) >= 2 and all(r.provider_id for r in sms()), "the SMS to be sent")
            for biz_id, _ in sms():
                provider.receipts[str(biz_id)] = (True, "")
            wait_for(lambda: all(r.delivery == "delivered" for r in sms()), "the delivery receipts")
        finally:
            assert stop(service) == 0, log.read_text()
            engine.dispose()
        assert provider.rejected_signatures == 0 and SECRET not in log.read_text()
