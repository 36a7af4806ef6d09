"""`chuding serve` and `chuding check` against absurd settings, an early signal and a
file with a little random damage (the kind `show` used to answer "does not exist")."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.service import CHUDING, chuding, env_for, prepare


@pytest.mark.parametrize(("option", "value"), [("--sweep-seconds", "-1"), ("--sweep-seconds", "inf"),
                                               ("--relay-seconds", "nan"), ("--lead-seconds", "0")])
def test_an_interval_no_schedule_can_keep_is_refused_naming_it(tmp_path: Path, option: str, value: str) -> None:
    env = env_for(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path)
    done = chuding(env, "serve", "--no-http", option, value, code=2)
    assert option in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("setting", ["CHUDING_SQLITE_BUSY_MS=-1", "CHUDING_RELAY_LEASE_SECONDS=nan",
                                     "CHUDING_RELAY_BACKOFF_SECONDS=inf", "CHUDING_RELAY_CONCURRENCY=0"])
def test_a_numeric_setting_out_of_bounds_is_refused_naming_it(tmp_path: Path, setting: str) -> None:
    name, _, value = setting.partition("=")
    env = env_for(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, **{name: value})
    done = chuding(env, "status", code=4)
    assert name in done.stderr and "Traceback" not in done.stderr


def _catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler of its own for ``signum`` yet (Linux's SigCgt)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught >> (signum - 1) & 1)


def test_sigterm_in_the_first_moments_is_a_clean_stop(tmp_path: Path) -> None:
    """From the first moment the program runs any code of its own (before that, the
    interpreter is still starting and no program can catch a signal), through the
    rest of its imports and its start: the stop is remembered and the exit is clean."""
    env = prepare(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path)
    codes = []
    for delay in (0, 0.05, 0.1, 0.2, 0.4):
        process = subprocess.Popen([*CHUDING, "serve", "--no-http"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not _catches(process.pid, signal.SIGTERM):  # looked at every millisecond: the first moment
            assert time.monotonic() < deadline, "the stop was never listened for"
            time.sleep(0.001)
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        codes.append(process.wait(timeout=30))
    assert codes == [0] * len(codes)


def test_random_damage_is_found_by_check_and_stops_serve_at_start(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "db.sqlite3"
    env = prepare(f"sqlite:///{db}", tmp_path)
    assert "no damage" in chuding(env, "check").stdout
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    rng = random.Random(7)
    for offset in rng.sample(range(len(data) // 2, len(data)), 40):  # a little damage, among the rows
        data[offset] ^= 0xFF
    db.write_bytes(bytes(data))
    found = chuding(env, "check", code=4)
    assert ("damaged" in found.stderr or "malformed" in found.stderr) and "Traceback" not in found.stderr
    started = subprocess.run([*CHUDING, "serve", "--no-http"], env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 4 and ("damaged" in started.stderr or "malformed" in started.stderr)
