"""Passwords from the command line: shown once by `init`, read from standard input, never argv."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.support.helpers import NOTICE_FILE, bj
from tests.support.service import CHUDING
from workflow.runtime.bootstrap import bootstrap
from workflow.runtime.settings import Settings
from workflow.usecases.passwords import log_in


def chuding(url: str, *args: str, stdin: str = "", who: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHUDING_DATABASE_URL": url, **({"CHUDING_OPERATOR": who} if who else {})}
    return subprocess.run([*CHUDING, *args], env=env, input=stdin, capture_output=True, text=True)


def test_init_shows_a_one_time_password_once_and_passwd_reads_stdin(db_url: str, tmp_path: Path) -> None:
    first = chuding(db_url, "init", "--notice", str(NOTICE_FILE), "--admin", "admin", "--json")
    assert first.returncode == 0, first.stderr
    one_time = json.loads(first.stdout)["one_time_password"]
    assert len(one_time) == 16
    again = chuding(db_url, "init", "--notice", str(NOTICE_FILE), "--admin", "admin", "--json")
    assert json.loads(again.stdout)["one_time_password"] is None  # shown once only
    engine = bootstrap(Settings(database_url=db_url)).engine()
    assert log_in(engine, "admin", one_time, None, bj(2024, 10, 8)).must_change_password

    changed = chuding(db_url, "operator", "passwd", "admin", stdin="a new long password\n", who="admin")
    assert changed.returncode == 0, changed.stderr
    assert not log_in(engine, "admin", "a new long password", None, bj(2024, 10, 8)).must_change_password

    weak = chuding(db_url, "operator", "add", "clerk", "--role", "applicant_clerk", "--password", "--json",
                   stdin="Zq9!x\n", who="admin")
    assert weak.returncode == 1 and "password.short" in weak.stdout
    assert "Zq9!x" not in weak.stdout + weak.stderr  # the password itself is never echoed
    empty = chuding(db_url, "operator", "passwd", "admin", stdin="", who="admin")
    assert empty.returncode == 2 and "standard input" in empty.stderr
    engine.dispose()
