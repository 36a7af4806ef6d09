"""The chuding command as a user runs it: a whole process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.support.helpers import EXAMPLE_FILE, NOTICE_FILE, OPINION, PAPER_ITEMS
from tests.support.shell import Shell


def test_one_case_from_import_to_confirmed(sh: Shell) -> None:
    files = EXAMPLE_FILE.parent  # the scans the records name, beside them
    assert sh.json("import", str(EXAMPLE_FILE), "--files", str(files), who="clerk") == {
        "ok": True, "created": [1, 2], "amended": []}
    sh("operator", "add", "water", "--role", "unit_operator", "--unit", "LT-SL-01", who="admin")
    unit_scans = files / "files" / "units"
    steps = [
        ("clerk", "2024-09-28T09:00:00+08:00", ["submit", "1"]),
        ("reviewer", "2024-10-08T10:00:00+08:00", ["start-review", "1"]),
        ("reviewer", "2024-10-08T11:00:00+08:00", ["approve", "1"]),
        ("water", "2024-10-08T12:00:00+08:00", ["publicity", "start", "1"]),
        ("water", "2024-10-09T12:00:00+08:00", ["materials", "add", "1", "publicity_notice",
                                                 str(unit_scans / "publicity.pdf")]),
        ("water", "2024-10-13T00:00:00+08:00", ["materials", "add", "1", "publicity_result",
                                                 str(unit_scans / "publicity-result.pdf")]),
        ("water", "2024-10-13T00:00:00+08:00", ["publicity", "close", "1", "--opinion", OPINION]),
    ]
    for who, now, args in steps:
        sh(*args, who=who, now=now)
    # The paper desk prints the 评审表 and, when it comes back signed, types the code on it.
    sh("docs", "review-form", "1", "-o", "form.pdf", who="paper")
    printed = subprocess.run(["pdftotext", str(sh.cwd / "form.pdf"), "-"], capture_output=True, text=True).stdout
    code = re.search(r"验证码[:：]\s*([A-Z0-9]{4}-[A-Z0-9]{4})", printed).group(1)  # type: ignore[union-attr]
    items = [arg for item in sorted(PAPER_ITEMS) for arg in ("--item", item)]
    wrong = sh("receive-paper", "1", *items, "--form-code", "AAAA-AAAA", who="paper",
               now="2024-10-24T10:00:00+08:00", code=1)
    assert "《专业技术职务任职资格评审表》：验证码不符" in wrong.stderr
    sh("receive-paper", "1", *items, "--form-code", code.lower(), who="paper", now="2024-10-24T10:00:00+08:00")
    sh("confirm", "1", who="approver", now="2024-11-01T10:00:00+08:00")
    report = sh.json("show", "1", who="approver", now="2024-11-02T10:00:00+08:00")
    assert report["state"] == "confirmed" and report["id_number"] == "652822********0018"
    assert [h["event"] for h in report["history"]] == [
        "import", "submit", "start_review", "approve_online", "start_publicity",
        "material_added", "material_added", "close_publicity", "receive_paper", "confirm",
    ]
    # Stored in UTC, shown in --json as ISO 8601 Beijing time with its offset.
    assert report["history"][1]["effective_at"] == "2024-09-28T09:00:00+08:00"
    listed = sh.json("list", "--state", "drafted", who="clerk")
    assert [c["case"] for c in listed] == [2]


def test_refusal_exits_non_zero_with_every_reason(sh: Shell) -> None:
    sh("import", str(EXAMPLE_FILE), "--files", str(EXAMPLE_FILE.parent), who="clerk")
    done = sh("submit", "2", who="reviewer", now="2024-10-30T18:00:01+08:00", code=1)
    assert "role.not_allowed" in done.stderr and "window.personal" in done.stderr
    data = json.loads(sh("submit", "2", "--json", who="reviewer", now="2024-10-30T18:00:01+08:00", code=1).stdout)
    assert {r["rule"] for r in data["reasons"]} == {"role.not_allowed", "window.personal"}


def test_show_tells_what_is_missing_and_what_comes_next(sh: Shell, tmp_path: Path) -> None:
    records = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))
    records[0]["materials"].pop("photo")
    path = tmp_path / "one.json"
    path.write_text(json.dumps(records[:1], ensure_ascii=False), encoding="utf-8")
    sh("import", str(path), "--files", str(EXAMPLE_FILE.parent), who="clerk")
    report = sh.json("show", "1", who="clerk", now="2024-10-01T09:00:00+08:00")
    assert [m["field"] for m in report["missing"]] == ["materials.photo"]
    assert report["next"][0]["event"] == "submit"
    assert report["next"][0]["until"] == "2024-10-30T18:00:00+08:00"


def test_bad_import_file_names_record_and_field_and_imports_nothing(sh: Shell, tmp_path: Path) -> None:
    records = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))
    records[1]["educations"][0]["graduated_on"] = "2016-13-01"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    done = sh("import", str(path), who="clerk", code=1)
    assert "record 2 (652822********010X): educations[0].graduated_on:" in done.stderr
    assert sh.json("list", who="clerk") == []


def test_a_malformed_clock_is_bad_usage_exit_2(sh: Shell) -> None:
    done = sh("show", "1", who="clerk", now="2024-10-01 09:00", code=2)
    assert "CHUDING_NOW" in done.stderr and "offset" in done.stderr


def test_init_again_with_the_same_administrator_changes_nothing(sh: Shell) -> None:
    sh("init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    done = sh("init", "--admin", "intruder", code=1)
    assert "operator.bootstrap" in done.stderr


def test_diagram_is_generated_from_the_machine(sh: Shell) -> None:
    text = sh("diagram").stdout
    assert text.startswith("stateDiagram-v2")
    assert "confirmed --> revoked: report_fraud (county_approver)" in text


def test_units_are_registered_by_an_administrator_with_a_known_level(sh: Shell) -> None:
    done = sh("unit", "add", "LT-XZ-03", "--name", "轮台县某乡卫生院", "--level", "省级", "--type", "事业单位",
              who="admin", code=1)
    assert "未知的单位级别 '省级'" in done.stderr
    sh("unit", "add", "LT-XZ-03", "--name", "轮台县某乡卫生院", "--level", "乡镇级", "--type", "事业单位", who="clerk",
       code=1)
    sh("unit", "add", "LT-XZ-03", "--name", "轮台县某乡卫生院", "--level", "乡镇级", "--type", "事业单位", who="admin")
    sh("operator", "add", "clinic", "--role", "unit_operator", "--unit", "LT-XZ-03", who="admin")
    assert [u["code"] for u in sh.json("unit", "list", who="admin")] == ["LT-XZ-03"]


def test_backup_then_restore_into_an_empty_place_from_the_command_line(
        sh: Shell, db_url: str, databases: object, tmp_path: Path) -> None:
    sh("import", str(EXAMPLE_FILE), "--files", str(EXAMPLE_FILE.parent), who="clerk")
    listed = sh.json("materials", "list", "2", who="admin")
    done = sh.json("backup", str(tmp_path / "backup"), who="admin")
    assert done["ok"] and done["files"] > len({f["sha256"] for s in listed for f in s["files"]})  # both cases' files
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    (tmp_path / "new").mkdir()
    restored = Shell(databases.empty_url(kind), tmp_path / "new")  # type: ignore[attr-defined]
    assert "backed" not in restored("restore", str(tmp_path / "backup")).stdout
    verified = restored.json("materials", "verify", who="admin")
    assert verified["ok"] and verified["checked"] == done["files"] and verified["unnamed"] == []
    assert restored.json("materials", "list", "2", who="admin") == listed
    again = restored("restore", str(tmp_path / "backup"), code=1)  # never over what is there
    assert "目标数据库不是空的" in again.stderr


def test_the_run_command_registers_admin_only_when_nobody_can_log_in(tmp_path: Path) -> None:
    """`init --first-admin admin` (the run command's): on a new database `admin` gets a
    one-time password, printed; run again it changes nothing; a database whose operators
    were registered otherwise is left as it is — and init never fails for it."""
    first = Shell(f"sqlite:///{tmp_path / 'new.sqlite3'}", tmp_path)
    done = first("init", "--notice", str(NOTICE_FILE), "--first-admin", "admin")
    assert re.search(r"one-time password for admin: \S{8,}", done.stdout), done.stdout
    again = first("init", "--notice", str(NOTICE_FILE), "--first-admin", "admin")
    assert "one-time password" not in again.stdout and "operators are registered already" in again.stdout
    other = Shell(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path)
    other("init", "--notice", str(NOTICE_FILE), "--admin", "boss")
    kept = other("init", "--notice", str(NOTICE_FILE), "--first-admin", "admin")
    assert "one-time password" not in kept.stdout
    assert [o["login"] for o in other.json("operator", "list", who="boss")] == ["boss"]
    assert "只能用一个" in first("init", "--admin", "a", "--first-admin", "b", code=1).stderr
