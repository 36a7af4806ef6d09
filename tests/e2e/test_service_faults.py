"""`chuding serve` under faults: stopped at any moment, a sweep that fails, one service
per SQLite file whatever path reaches it, a damaged database file."""

from __future__ import annotations

import json
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.service import chuding, env_for, expiries, prepare, serve, wait_for
from workflow.store.db import make_engine

STOP_WITHIN = 10  # seconds, as the README promises


def _stop_once(template: Path, tmp: Path, seed: int) -> tuple[int | None, float, str, bool]:
    """One service started on a copy of the database and stopped at a random moment.

    In every other round a second connection holds SQLite's write lock, so that the
    sweep, the heartbeat and the relay are all stuck in the middle of their work.
    """
    rng = random.Random(seed)
    folder = tmp / f"round{seed}"
    folder.mkdir()
    db = folder / "db.sqlite3"
    shutil.copy(template, db)
    env = env_for(f"sqlite:///{db}", folder, CHUDING_NOW="2024-11-02T09:00:00+08:00")
    blocker = None
    if seed % 2:
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
    log = folder / "serve.log"
    process = serve(env, log)
    try:
        wait_for(lambda: "starting" in log.read_text(), "the service to start", seconds=30)
        time.sleep(rng.uniform(0, 1.5))
        process.send_signal(rng.choice([signal.SIGTERM, signal.SIGINT]))
        asked = time.monotonic()
        try:
            code: int | None = process.wait(timeout=STOP_WITHIN + 5)
        except subprocess.TimeoutExpired:
            process.kill()
            code = None
        took = time.monotonic() - asked
    finally:
        if blocker is not None:
            blocker.close()
    lock_left = Path(f"{db}.service.lock").exists()
    return code, took, log.read_text(), lock_left


def test_thirty_stops_at_random_moments_each_exit_0_in_time(tmp_path: Path) -> None:
    template = tmp_path / "template.sqlite3"
    prepare(f"sqlite:///{template}", tmp_path)
    with ThreadPoolExecutor(6) as pool:
        rounds = list(pool.map(lambda seed: _stop_once(template, tmp_path, seed), range(30)))
    for seed, (code, took, log, lock_left) in enumerate(rounds):
        assert code == 0, (seed, code, log)
        assert took < STOP_WITHIN, (seed, took, log)
        assert not lock_left, (seed, "a stale lock file after a clean stop", log)


def _rename(url: str, old: str, new: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))
    engine.dispose()


def running_service(env: dict[str, str]) -> dict[str, Any]:
    """The one service `status` shows running (an empty one while none is)."""
    services = json.loads(chuding(env, "--as", "admin", "status", "--json").stdout)["services"]
    return services[0] if services else {}


def test_a_failed_start_sweep_is_retried_and_the_cases_expire_without_a_restart(
    db_url: str, tmp_path: Path
) -> None:
    env = prepare(db_url, tmp_path)
    _rename(db_url, "history", "history_away")  # every sweep now fails writing its history
    log = tmp_path / "serve.log"
    service = serve(env, log, "--sweep-seconds", "30")
    try:
        wait_for(lambda: "sweep (start) failed" in log.read_text(), "the start sweep to fail")
        wait_for(lambda: running_service(env).get("last_error"), "status to show the error")
        running = running_service(env)
        assert "history" in running["last_error"] and running["last_sweep_at"] is None
        _rename(db_url, "history_away", "history")
        # Well before the periodic sweep (30 s): the backoff's retry does it.
        wait_for(lambda: sum(expiries(db_url).values()) == 2, "the cases to expire", seconds=25)
        wait_for(lambda: running_service(env)["last_sweep_at"], "status to show the successful sweep")
    finally:
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=STOP_WITHIN) == 0
    assert "sweep (retry)" in log.read_text()


def test_two_paths_to_one_sqlite_file_make_one_service(tmp_path: Path) -> None:
    real = tmp_path / "real" / "one.sqlite3"
    real.parent.mkdir()
    env = prepare(f"sqlite:///{real}", tmp_path)
    (tmp_path / "link.sqlite3").symlink_to(real)
    (tmp_path / "dirlink").symlink_to(real.parent)
    first = serve(env, tmp_path / "first.log")
    try:
        wait_for(lambda: "leading the schedule" in (tmp_path / "first.log").read_text(), "the first to lead")
        for other in (tmp_path / "link.sqlite3", tmp_path / "dirlink" / "one.sqlite3",
                      tmp_path / "real" / ".." / "real" / "one.sqlite3"):
            second = chuding({**env, "CHUDING_DATABASE_URL": f"sqlite:///{other}"}, "serve", "--no-http", code=4)
            assert "one service per SQLite file" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=STOP_WITHIN) == 0


def test_the_lock_file_is_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = prepare(url, tmp_path)
    service = serve(env, tmp_path / "serve.log")
    lock = tmp_path / "db.sqlite3.service.lock"
    try:
        wait_for(lock.exists, "the lock file")
        assert lock.stat().st_mode & 0o777 == 0o600
    finally:
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=STOP_WITHIN) == 0


def test_a_damaged_database_file_stops_the_service_with_exit_4(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    env = prepare(f"sqlite:///{db}", tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db.read_bytes())
    for offset in range(page, len(data), 7):  # every page but the first (the schema)
        data[offset] = 0xA5
    db.write_bytes(bytes(data))
    done = subprocess.run([*serve_command(), "--lead-seconds", "0.3"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 4, done.stderr
    assert "unusable" in done.stderr and "Traceback" not in done.stderr


def serve_command() -> list[str]:
    from tests.support.service import CHUDING

    return [*CHUDING, "serve", "--no-http"]


def test_stops_at_random_moments_on_postgresql(pg_engine: sa.Engine, tmp_path: Path) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    env = prepare(url, tmp_path)
    rng = random.Random(5)
    for round_ in range(6):
        log = tmp_path / f"pg{round_}.log"
        process = serve(env, log)
        wait_for(lambda log=log: "starting" in log.read_text(), "the service to start", seconds=30)
        time.sleep(rng.uniform(0, 1.5))
        process.send_signal(rng.choice([signal.SIGTERM, signal.SIGINT]))
        asked = time.monotonic()
        assert process.wait(timeout=STOP_WITHIN + 5) == 0, log.read_text()
        assert time.monotonic() - asked < STOP_WITHIN
    # Whatever was cut short, a service left to run finishes it, and nothing happened twice.
    last = tmp_path / "last.log"
    process = serve(env, last)
    wait_for(lambda: "starting" in last.read_text() and len(expiries(url)) == 2, "both cases to expire", seconds=30)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=STOP_WITHIN) == 0
    assert sorted(expiries(url).values()) == [1, 1]
