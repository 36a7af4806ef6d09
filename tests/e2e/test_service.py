"""`chuding serve` as a process: catching up after downtime, one per SQLite file,
replicas on PostgreSQL taking over from a dead leader; `status` and `simulate`."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from notifications.outbox import OUTBOX
from tests.support.helpers import NOTICE_FILE, engineer, valid_id, with_id
from tests.support.service import chuding, env_for, expiries, prepare, serve, stop, wait_for
from workflow.store.tables import CASES


def test_down_over_the_deadline_then_started_catches_up_once(db_url: str, tmp_path: Path) -> None:
    env = prepare(db_url, tmp_path)
    log = tmp_path / "first.log"
    service = serve(env, log)
    wait_for(lambda: sum(expiries(db_url).values()) == 2, "the drafted cases to expire")
    wait_for(lambda: len(list((tmp_path / "mail").glob("*.eml"))) == 2, "the import and expiry e-mails")
    assert stop(service) == 0
    text = log.read_text()
    assert "sweep (start)" in text and "'expired_personal': 2" in text and "stopped" in text
    again = serve(env, tmp_path / "second.log")
    wait_for(lambda: "sweep (start)" in (tmp_path / "second.log").read_text(), "the second start")
    assert stop(again) == 0
    assert "nothing due" in (tmp_path / "second.log").read_text()
    assert expiries(db_url) == {1: 1, 2: 1}


def test_a_second_service_on_the_same_sqlite_file_refuses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    env = prepare(url, tmp_path)
    first = serve(env, tmp_path / "first.log")
    wait_for(lambda: "leading the schedule" in (tmp_path / "first.log").read_text(), "the first to lead")
    second = chuding(env, "serve", "--no-http", code=4)
    assert "another chuding service" in second.stderr and "one service per SQLite file" in second.stderr
    assert stop(first) == 0


def test_an_unusable_database_stops_the_service_with_a_message(tmp_path: Path) -> None:
    env = env_for(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    done = chuding(env, "serve", "--no-http", code=4)
    assert "no database file" in done.stderr and "run `chuding init`" in done.stderr
    as_json = json.loads(chuding(env, "serve", "--no-http", "--json", code=4).stdout)
    assert as_json["ok"] is False and "run `chuding init`" in as_json["reasons"][0]["message"]
    assert not (tmp_path / "empty.sqlite3").exists()  # a mistyped path leaves nothing behind
    (tmp_path / "empty.sqlite3").touch()  # an empty file is no chuding database either
    assert "run `chuding init` first" in chuding(env, "serve", "--no-http", code=4).stderr


def test_status_shows_next_deadlines_in_beijing_time_and_the_leader(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'status.sqlite3'}"
    env = prepare(url, tmp_path)
    early = {**env, "CHUDING_NOW": "2024-10-01T09:00:00+08:00"}
    report = json.loads(chuding(early, "--as", "admin", "status", "--json").stdout)
    assert report["services"] == []
    assert report["next"][0] == {"at": "2024-10-24T10:00:00+08:00", "what": "reminder_paper_checklist",
                                 "campaign": "luntai-2024"}
    assert {"at": "2024-10-30T18:00:01+08:00", "what": "expire_personal", "campaign": "luntai-2024"} in report["next"]
    service = serve(early, tmp_path / "serve.log")
    wait_for(lambda: json.loads(chuding(early, "--as", "admin", "status", "--json").stdout)["services"], "a heartbeat")
    [running] = json.loads(chuding(early, "--as", "admin", "status", "--json").stdout)["services"]
    assert running["leading"] is True
    assert stop(service) == 0


def test_replicas_on_postgresql_take_over_from_a_killed_leader(pg_engine: sa.Engine, tmp_path: Path) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    count = 400
    env = prepare(url, tmp_path, [with_id(engineer(), valid_id(i)) for i in range(count)])
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    leader = serve(env, logs[0])
    wait_for(lambda: "leading the schedule" in logs[0].read_text(), "a leader")
    standby = serve(env, logs[1])
    wait_for(lambda: "started" in logs[1].read_text(), "the standby")
    time.sleep(1)
    assert "leading" not in logs[1].read_text()  # one leader at a time
    leader.send_signal(signal.SIGKILL)
    leader.wait()
    killed_at = time.monotonic()
    wait_for(lambda: "leading the schedule" in logs[1].read_text(), "the standby to take over", seconds=30)
    assert time.monotonic() - killed_at < 10
    wait_for(lambda: sum(expiries(url).values()) == count, "every case to expire")
    time.sleep(1.5)  # the new leader's periodic work runs again; nothing may repeat
    assert stop(standby) == 0
    assert set(expiries(url).values()) == {1}
    with pg_engine.connect() as conn:
        keys = Counter(conn.execute(sa.select(OUTBOX.c.key)).scalars())
        states = Counter(conn.execute(sa.select(CASES.c.state)).scalars())
    assert states == {"expired": count}
    assert len([k for k in keys if "/expire/" in k]) == 2 * count and set(keys.values()) == {1}


def test_simulate_a_scenario_file(tmp_path: Path) -> None:
    from tests.support.helpers import OPINION, PAPER_ITEMS

    actions = [
        ("2024-10-08T10:00:00+08:00", "clerk", "submit", {}),
        ("2024-10-08T11:00:00+08:00", "reviewer", "start_review", {}),
        ("2024-10-08T12:00:00+08:00", "reviewer", "approve_online", {}),
        ("2024-10-08T15:00:00+08:00", "LT-SL-01", "start_publicity", {}),
        ("2024-10-12T23:00:00+08:00", "LT-SL-01", "close_publicity", {"opinion": OPINION}),  # too early
        ("2024-10-14T09:00:00+08:00", "LT-SL-01", "close_publicity", {"opinion": OPINION}),
        ("2024-10-25T10:00:00+08:00", "paper", "receive_paper", {"items": sorted(PAPER_ITEMS)}),
    ]
    scenario = {"start": "2024-09-27T10:00:00+08:00", "applications": [engineer()],
                "actions": [{"at": at, "as": who, "event": event, "case": 1, **extra}
                            for at, who, event, extra in actions]}
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario, ensure_ascii=False), encoding="utf-8")
    done = chuding(env_for("sqlite:///unused", tmp_path), "simulate", "--json", "--scenario", str(path),
                   "--notice", str(NOTICE_FILE))
    result = json.loads(done.stdout)
    assert result["final"] == {"paper_received": 1} and result["refused"] == 1
    assert any("公示期不少于 5 个工作日" in line for line in result["timeline"])


def test_simulate_the_2024_campaign(tmp_path: Path) -> None:
    done = chuding(env_for("sqlite:///unused", tmp_path), "simulate", "--json",
                   "--notice", str(NOTICE_FILE))
    result = json.loads(done.stdout)
    assert result["final"] == {"confirmed": 3, "expired": 4, "rejected": 1, "revoked": 1, "withdrawn": 1}
    assert result["refused"] == 2
    lines = result["timeline"]
    assert any(line.startswith("2024-10-13 00:00:00  case 1 ") and "complete_publicity" in line for line in lines)
    assert any(line.startswith("2028-01-01 00:00:00  case 7 ") and "ban_ended" in line for line in lines)
    assert any(line.startswith("2024-10-30 18:00:01  case 3 ") and "个人申报时间已结束" in line for line in lines)
