"""Running chuding as people do: whole processes of the command and of the service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.helpers import EXAMPLE_FILE, NOTICE_FILE
from workflow.store.db import make_engine
from workflow.store.tables import HISTORY

CHUDING = [sys.executable, "-m", "workflow"]
AFTER_DEADLINES = "2024-11-02T09:00:00+08:00"


def env_for(url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The settings a deployment gives: its database, where messages and files go (a
    materials folder named, as replicas on PostgreSQL must)."""
    return {**os.environ, "CHUDING_DATABASE_URL": url, "CHUDING_MAIL_DIR": str(tmp / "mail"),
            "CHUDING_SMS_DIR": str(tmp / "sms"), "CHUDING_MATERIALS_URL": f"file://{tmp / 'materials'}", **extra}


def chuding(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*CHUDING, *args], env=env, capture_output=True, text=True)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    return done


def serve(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        quick = ["--lead-seconds", "0.3", "--relay-seconds", "0.5"]
        return subprocess.Popen([*CHUDING, "serve", "--no-http", *quick, *args],
                                env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def prepare(url: str, tmp: Path, records: list[dict[str, Any]] | None = None) -> dict[str, str]:
    env = env_for(url, tmp, CHUDING_NOW="2024-10-01T09:00:00+08:00")
    chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    chuding(env, "--as", "admin", "operator", "add", "clerk", "--role", "applicant_clerk")
    source = tmp / "records.json"
    source.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8") if records else None
    chuding(env, "--as", "clerk", "import", str(source if records else EXAMPLE_FILE))
    return env_for(url, tmp, CHUDING_NOW=AFTER_DEADLINES)


def expiries(url: str) -> Counter[int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = Counter(conn.execute(sa.select(HISTORY.c.case_id).where(HISTORY.c.event == "expire")).scalars())
    engine.dispose()
    return found
