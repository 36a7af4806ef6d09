"""`chuding serve` serves the web pages beside the schedule, and stops cleanly."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.helpers import NOTICE_FILE
from tests.support.pgserver import free_port
from tests.support.service import CHUDING, chuding, env_for, stop, wait_for


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own test server
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def test_serve_answers_on_the_address_given_and_stops_on_sigterm(db_url: str, tmp_path: Path) -> None:
    env = env_for(db_url, tmp_path)
    chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*CHUDING, "serve", "--http", f"127.0.0.1:{port}", "--lead-seconds", "0.3"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/login")[0] == 200, "the login page", 60)
        status, page = _get(f"http://127.0.0.1:{port}/login")
        assert 'name="csrf"' in page and "登录" in page
        assert f"web pages at http://127.0.0.1:{port}/" in log.read_text()
    finally:
        assert stop(process) == 0, log.read_text()
    assert _get(f"http://127.0.0.1:{port}/login")[0] == 0  # nothing listens any more


def test_a_busy_address_is_refused_before_anything_starts(db_url: str, tmp_path: Path) -> None:
    env = env_for(db_url, tmp_path)
    chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = chuding(env, "serve", "--http", f"127.0.0.1:{port}", code=2)
    assert "--http" in done.stderr and "--no-http" in done.stderr
    assert "HOST:PORT" in chuding(env, "serve", "--http", "nonsense", code=2).stderr


@pytest.mark.postgres
def test_pages_on_postgresql_without_a_named_materials_store_do_not_start(pg_engine: sa.Engine,
                                                                          tmp_path: Path) -> None:
    """The replicas share no disk: a folder beside nothing would keep each one's files apart."""
    env = env_for(pg_engine.url.render_as_string(hide_password=False), tmp_path)
    chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    env["CHUDING_MATERIALS_URL"] = ""
    done = chuding(env, "serve", "--http", f"127.0.0.1:{free_port()}", code=4)
    assert "CHUDING_MATERIALS_URL" in done.stderr and "Traceback" not in done.stderr
