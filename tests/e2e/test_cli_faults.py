"""The command under careless or hostile use: exit codes, markup in data, private files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.helpers import NOTICE_FILE, engineer
from tests.support.service import CHUDING
from tests.support.shell import Shell


def _import(sh: Shell, tmp: Path, records: list[dict[str, object]]) -> None:
    path = tmp / "records.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    sh("import", str(path), who="clerk")


BAD_USAGE = [
    ["list", "--state", "nonsense"],
    ["list", "--limit", "-1"],
    ["list", "--limit", "0"],
    ["list", "--unit", "NO-SUCH-UNIT"],
    ["list", "--campaign", "luntai-1999"],
    ["outbox", "list", "--status", "lost"],
    ["show", str(2**63)],
    ["show", "-5"],
    ["outbox", "show", str(2**63)],
    ["bans", "lift", str(2**63), "--reason", "x"],
]


def test_bad_usage_is_exit_2_without_a_traceback(sh: Shell) -> None:
    for args in BAD_USAGE:
        done = sh(*args, who="admin", code=2)
        assert "Traceback" not in done.stderr, args


def test_data_that_looks_like_markup_is_shown_as_it_is(sh: Shell, tmp_path: Path) -> None:
    record = engineer()
    record["applicant"]["name"] = "[/]艾力[link=http://evil.example]点我[/link][bold]"
    _import(sh, tmp_path, [record])
    for args in (["list"], ["operator", "list"], ["unit", "list"], ["bans", "list"], ["status"]):
        done = sh(*args, who="admin", now="2024-10-01T09:00:00+08:00")
        assert "MarkupError" not in done.stderr
    sh.env["COLUMNS"] = "200"  # wide enough that the table shows the whole name, whatever runs the test
    listed = sh("list", who="admin", now="2024-10-01T09:00:00+08:00").stdout
    assert "[/]艾力[link=http://evil.example]点我[/link][bold]" in listed
    assert "\x1b]8;" not in listed  # no terminal hyperlink was made of it


def test_control_characters_in_a_reason_login_or_name_are_refused(sh: Shell) -> None:
    done = sh("operator", "add", "bad\x1blogin", "--role", "county_reviewer", who="admin", code=1)
    assert "控制字符" in done.stderr and "\x1b" not in done.stderr
    done = sh("unit", "add", "LT-X", "--name", "单位\x9b", "--level", "乡镇级", "--type", "事业单位",
              who="admin", code=1)
    assert "控制字符" in done.stderr


def test_a_mistyped_database_path_leaves_nothing_behind(tmp_path: Path) -> None:
    missing = tmp_path / "chudnig.sqlite3"
    done = subprocess.run([*CHUDING, "--db", str(missing), "list"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 4 and "chuding init" in done.stderr
    assert not missing.exists()


def test_files_holding_personal_data_are_private(tmp_path: Path) -> None:
    db = tmp_path / "private.sqlite3"
    env = {**os.environ, "CHUDING_DATABASE_URL": str(db), "CHUDING_MAIL_DIR": str(tmp_path / "mail"),
           "CHUDING_SMS_DIR": str(tmp_path / "sms"), "CHUDING_NOW": "2024-10-01T09:00:00+08:00"}
    shell = Shell(str(db), tmp_path)
    shell.env = env
    shell("init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    shell("operator", "add", "clerk", "--role", "applicant_clerk", who="admin")
    _import(shell, tmp_path, [engineer()])
    shell("outbox", "send")
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(db) == 0o600
    assert mode(tmp_path / "mail") == 0o700 and mode(tmp_path / "sms") == 0o700
    emails = list((tmp_path / "mail").glob("*.eml"))
    assert emails and {mode(p) for p in emails} == {0o600}
    assert mode(tmp_path / "sms" / "sms.jsonl") == 0o600


def test_init_again_says_nothing_changed_and_fraud_shows_its_ban_as_a_range(
    sh: Shell, tmp_path: Path,
) -> None:
    assert "already registered; nothing changed" in sh("init", "--admin", "admin").stdout
    _import(sh, tmp_path, [engineer()])
    done = sh("fraud", "1", "--reason", "伪造证书", who="approver", now="2024-10-09T10:00:00+08:00")
    assert "banned_years: 2025–2027" in done.stdout


def test_replacing_a_running_campaigns_notice_needs_force_and_a_reason(
    sh: Shell, tmp_path: Path,
) -> None:
    _import(sh, tmp_path, [engineer()])
    moved = tmp_path / "moved.toml"
    moved.write_text(NOTICE_FILE.read_text(encoding="utf-8").replace(
        "closes = 2024-10-30T18:00:00", "closes = 2024-10-20T18:00:00"), encoding="utf-8")
    done = sh("init", "--notice", str(moved), who="admin", code=1)
    assert "notice.running" in done.stderr or "already has 1 case" in done.stderr
    assert "--force" in sh("init", "--notice", str(moved), "--force", who="admin", code=1).stderr
    sh("init", "--notice", str(moved), "--force", "--reason", "通知更正：个人申报提前截止", who="admin")
    import sqlalchemy as sa

    from workflow.store.db import make_engine

    engine = make_engine(sh.env["CHUDING_DATABASE_URL"] if "://" in sh.env["CHUDING_DATABASE_URL"]
                         else f"sqlite:///{sh.env['CHUDING_DATABASE_URL']}")
    with engine.connect() as conn:
        [audit] = conn.execute(sa.text("SELECT actor, action, subject, reason, details FROM audit"
                                       " WHERE action = 'notice.replace'")).all()
    engine.dispose()
    assert audit[:4] == ("admin", "notice.replace", "luntai-2024", "通知更正：个人申报提前截止")
    assert "closes = 2024-10-30T18:00:00" in json.loads(audit[4])["previous_notice"]


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_every_time_in_json_is_iso_8601_beijing_with_its_offset(sh: Shell, tmp_path: Path) -> None:
    import re

    _import(sh, tmp_path, [engineer()])
    sh("fraud", "1", "--reason", "伪造证书", who="approver", now="2024-10-09T10:00:00+08:00")
    now = "2024-10-10T10:00:00+08:00"
    reports = [sh.json(*args, who="admin", now=now) for args in
               (["show", "1"], ["list"], ["status"], ["bans", "list"], ["outbox", "list"])]
    times = [s for r in reports for s in _strings(r) if re.match(r"^\d{4}-\d\d-\d\d[ T]\d\d:", s)]
    assert times, "no times found"
    for text in times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00", text), text


BAD_SETTINGS = [
    ("CHUDING_SMTP_PORT", "abc", "CHUDING_SMTP_PORT"),
    ("CHUDING_SMTP_SECURITY", "ssl3", "CHUDING_SMTP_SECURITY"),
    ("CHUDING_SMS_TEMPLATE_CODES", "{not json", "CHUDING_SMS_TEMPLATE_CODES"),
    ("CHUDING_SMTP_PASSWORD", "secret", "CHUDING_SMTP_ALLOW_PLAINTEXT_PASSWORD"),
]


def test_bad_settings_exit_4_naming_the_variable(tmp_path: Path) -> None:
    shell = Shell(str(tmp_path / "settings.sqlite3"), tmp_path)  # settings, not the database, are wrong
    shell("init", "--notice", str(NOTICE_FILE))
    base = dict(shell.env)
    for variable, value, named in BAD_SETTINGS:
        shell.env = {**base, "CHUDING_SMTP_HOST": "127.0.0.1", "CHUDING_SMTP_SECURITY": "none", variable: value}
        done = shell("outbox", "send", code=4)
        assert named in done.stderr and "Traceback" not in done.stderr, (variable, done.stderr)
        assert "secret" not in done.stderr


def test_an_unsupported_database_url_exits_4_naming_it(tmp_path: Path) -> None:
    done = subprocess.run([*CHUDING, "--db", "mysql://u:p@localhost/x", "list"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 4 and "mysql:// is not supported" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("spoil, names", [
    (lambda s: "{not json", "scenario"),
    (lambda s: {**s, "actions": [{**s["actions"][0], "event": "bribe"}]}, "actions[0].event"),
    (lambda s: {**s, "actions": [{**s["actions"][0], "case": 7}]}, "actions[0].case"),
    (lambda s: {**s, "actions": [{k: v for k, v in s["actions"][0].items() if k != "at"}]}, "actions[0].at"),
    (lambda s: {**s, "actions": [{**s["actions"][0], "at": "next tuesday"}]}, "actions[0].at"),
])
def test_a_bad_scenario_is_refused_naming_the_action_and_leaves_no_keep_file(
    tmp_path: Path, spoil: object, names: str,
) -> None:
    scenario = {"start": "2024-09-27T10:00:00+08:00", "applications": [engineer()],
                "actions": [{"at": "2024-10-08T10:00:00+08:00", "as": "clerk", "event": "submit", "case": 1}]}
    spoiled = spoil(scenario)  # type: ignore[operator]
    path = tmp_path / "scenario.json"
    path.write_text(spoiled if isinstance(spoiled, str) else json.dumps(spoiled, ensure_ascii=False), encoding="utf-8")
    keep = tmp_path / "kept.sqlite3"
    done = subprocess.run([*CHUDING, "simulate", "--scenario", str(path), "--keep", str(keep)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert names in done.stderr and "Traceback" not in done.stderr
    assert not keep.exists()


def test_simulate_works_from_any_folder(tmp_path: Path) -> None:
    done = subprocess.run([*CHUDING, "simulate", "--json"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["final"]["confirmed"] == 3


def test_show_lists_every_event_still_possible_and_list_shows_when_a_rule_took_effect(
    sh: Shell, tmp_path: Path,
) -> None:
    _import(sh, tmp_path, [engineer()])
    text = sh("show", "1", who="admin", now="2024-10-01T09:00:00+08:00").stdout
    for event in ("submit", "reject", "withdraw", "report_fraud"):
        assert event in text, event
    sh.env["CHUDING_MAIL_DIR"], sh.env["CHUDING_SMS_DIR"] = str(tmp_path / "m"), str(tmp_path / "s")
    service = subprocess.Popen([*CHUDING, "serve", "--no-http", "--lead-seconds", "0.3"], cwd=tmp_path,
                               env={**sh.env, "CHUDING_NOW": "2024-11-05T09:00:00+08:00"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from tests.support.service import wait_for

        wait_for(lambda: sh.json("list", who="admin")[0]["state"] == "expired", "the expiry")
    finally:
        service.terminate()
        assert service.wait(timeout=10) == 0
    [row] = sh.json("list", who="admin")
    assert row["updated_at"] == "2024-10-30T18:00:01+08:00"  # the first late second, not the sweep's time


def test_json_errors_have_one_shape(sh: Shell, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{**engineer(), "colour": "blue"}], ensure_ascii=False), encoding="utf-8")
    failures = [
        sh("import", str(bad), "--json", who="clerk", code=1),  # import
        sh("show", "99", "--json", who="admin", code=1),  # refused
        sh("list", "--unit", "NOPE", "--json", who="admin", code=2),  # usage
        sh("show", "1", "--json", who="admin", now="yesterday", code=2),  # usage (clock)
    ]
    for done in failures:
        data = json.loads(done.stdout)
        assert data["ok"] is False and isinstance(data["error"], str)
        for reason in data["reasons"]:
            assert {"rule", "field", "message"} <= set(reason), reason
    [problem] = json.loads(failures[0].stdout)["reasons"]
    assert problem["rule"] == "import.extra_forbidden" and problem["record"] == 1 and problem["field"] == "colour"


def test_two_imports_of_one_new_person_at_once_never_print_the_id(
    pg_engine: object, tmp_path: Path,
) -> None:
    import sqlalchemy as sa

    from tests.support.helpers import valid_id, with_id

    assert isinstance(pg_engine, sa.Engine)
    shell = Shell(pg_engine.url.render_as_string(hide_password=False), tmp_path)
    shell("init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    shell("operator", "add", "clerk", "--role", "applicant_clerk", who="admin")
    codes = []
    for round_ in range(6):
        person = valid_id(500 + round_)
        files = []
        for side in ("a", "b"):
            path = tmp_path / f"{round_}{side}.json"
            path.write_text(json.dumps([with_id(engineer(), person, f"申报人{round_}")], ensure_ascii=False),
                            encoding="utf-8")
            files.append(path)
        env = {**shell.env, "CHUDING_OPERATOR": "clerk"}
        runs = [subprocess.Popen([*CHUDING, "import", str(f)], env=env, cwd=tmp_path, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in files]
        outcomes = [(r.wait(timeout=60), *r.communicate()) for r in runs]
        for code, out, err in outcomes:
            assert person not in out + err and "Traceback" not in err, err
            codes.append(code)
        assert sorted(code for code, _, _ in outcomes)[0] == 0
    assert set(codes) <= {0, 1, 3}


def test_a_database_busy_beyond_its_wait_is_exit_3(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "busy.sqlite3"
    shell = Shell(str(db), tmp_path)
    shell("init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    shell("operator", "add", "clerk", "--role", "applicant_clerk", who="admin")
    path = tmp_path / "records.json"
    path.write_text(json.dumps([engineer()], ensure_ascii=False), encoding="utf-8")
    # A shorter wait than the 10 s default, so the test does not sit out the default.
    shell.env["CHUDING_SQLITE_BUSY_MS"] = "1500"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another command's long write
    try:
        started = time.monotonic()
        done = shell("import", str(path), who="clerk", code=3)
        assert time.monotonic() - started >= 1.5  # it did wait as long as it was told
    finally:
        holder.close()
    assert "busy" in done.stderr and "try again" in done.stderr
    shell("import", str(path), who="clerk")  # and once it is free, it goes through


def _empty_database(kind: str, postgres_server: str, tmp_path: Path, n: int) -> str:
    if kind == "sqlite":
        return str(tmp_path / f"fresh{n}.sqlite3")
    import sqlalchemy as sa

    admin = sa.create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE fresh_{n}_{os.getpid()}"))
    admin.dispose()
    return f"{postgres_server}/fresh_{n}_{os.getpid()}"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_inits_at_once_on_a_new_database_both_succeed(kind: str, postgres_server: str, tmp_path: Path) -> None:
    for n in range(3):
        env = {**os.environ, "CHUDING_DATABASE_URL": _empty_database(kind, postgres_server, tmp_path, n)}
        runs = [subprocess.Popen([*CHUDING, "init", "--notice", str(NOTICE_FILE), "--admin", "admin"], env=env,
                                 cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(2)]
        outcomes = [(r.wait(timeout=120), *r.communicate()) for r in runs]
        assert [code for code, _, _ in outcomes] == [0, 0], outcomes


def test_an_upload_killed_at_any_moment_leaves_no_row_without_its_file(sh: Shell, db_url: str, tmp_path: Path) -> None:
    """`materials add` killed with SIGKILL at moments spread over its run (reading, checking,
    storing, committing): afterwards every row's file is there and whole, the case is as
    one whole upload or none left it, and what a killed run stored unnamed is collected."""
    import signal
    from datetime import UTC, datetime, timedelta

    from tests.support.scans import pdf
    from workflow.runtime.bootstrap import bootstrap
    from workflow.runtime.settings import Settings
    from workflow.store.materials import open_store
    from workflow.usecases.materials import collect_unnamed, verify_materials

    _import(sh, tmp_path, [engineer()])
    versions = []
    for attempt, delay in enumerate((0.4, 0.9, 1.4, 1.9)):  # starting, reading, storing, committing
        scan = tmp_path / f"scan{attempt}.pdf"
        scan.write_bytes(pdf(pages=40) + b"%" + os.urandom(3 * 1024 * 1024))  # a big, distinct scan
        env = {**sh.env, "CHUDING_OPERATOR": "clerk", "CHUDING_NOW": "2024-10-09T10:00:00+08:00"}
        run = subprocess.Popen([*CHUDING, "materials", "add", "1", "diploma-1", str(scan)], env=env, cwd=sh.cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        run.wait()
        versions.append(run.returncode)
    store = open_store(sh.env["CHUDING_MATERIALS_URL"], "")
    engine = bootstrap(Settings(database_url=db_url)).engine()
    try:
        report = verify_materials(engine, store, "admin")
        assert report["ok"] and report["missing"] == [] and report["changed"] == [], report
        later = datetime.now(UTC) + timedelta(hours=2)
        collect_unnamed(engine, store, later)
        assert verify_materials(engine, store, "admin")["unnamed"] == []
        assert sh.json("show", "1", who="clerk")["state"] == "drafted"
    finally:
        engine.dispose()
    assert any(code == -signal.SIGKILL for code in versions)  # at least one was cut short
