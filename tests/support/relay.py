"""The relay as the tests run it: its settings for a test mail server, and a relay process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from notifications.settings import NotificationSettings
from tests.support.mailserver import PASSWORD, USER, Certificates


def settings(tmp_path: Path, port: int, certs: Certificates, **changes: Any) -> NotificationSettings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "starttls",
        "smtp_user": USER, "smtp_password": PASSWORD, "smtp_ca_file": certs.ca_file,
        "smtp_timeout_seconds": 5, "mail_from": "chuding@rsj.luntai.example", "sms_dir": tmp_path / "sms",
        "relay_backoff_seconds": 0.05, "relay_max_attempts": 3,
    }
    return NotificationSettings(**{**values, **changes})


def relay_process(db_url: str, config: NotificationSettings) -> subprocess.Popen[str]:
    env = {**os.environ, "CHUDING_DATABASE_URL": db_url}
    for name, value in config.model_dump().items():
        if value is not None and name != "sms_template_codes":
            secret = getattr(value, "get_secret_value", None)
            env[f"CHUDING_{name.upper()}"] = str(secret() if secret else value)
    return subprocess.Popen([sys.executable, "-m", "workflow", "outbox", "send"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
