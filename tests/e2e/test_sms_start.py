"""A provider without an approved template for some kind of message is refused when the
service or `outbox send` starts, naming each kind, before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

from notifications.rendering import KINDS
from tests.e2e.test_service import chuding, env_for
from tests.helpers import NOTICE_FILE


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
