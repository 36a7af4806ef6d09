"""`chuding template`, `import` of the workbook and `export cases`, as commands."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook

from tests.support.helpers import EXAMPLE_FILE, NOTICE_FILE, engineer, teacher
from tests.support.service import chuding, env_for
from tests.support.workbooks import filled


def test_template_import_and_export_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    env = env_for(db_url, tmp_path, CHUDING_NOW="2024-10-01T09:00:00+08:00")
    chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    chuding(env, "--as", "admin", "operator", "add", "clerk", "--role", "applicant_clerk")
    template = tmp_path / "applications.xlsx"
    assert "wrote" in chuding(env, "--as", "clerk", "template", str(template)).stdout
    kept = template.read_bytes()
    again = chuding(env, "--as", "clerk", "template", str(template), code=1)  # never over a file someone filled in
    assert "已存在" in again.stderr and "--force" in again.stderr and template.read_bytes() == kept
    assert "wrote" in chuding(env, "--as", "clerk", "template", str(template), "--force").stdout
    source = tmp_path / "filled.xlsx"
    source.write_bytes(filled([engineer(), teacher()], template))
    done = json.loads(chuding(env, "--as", "clerk", "import", str(source), "--json").stdout)
    assert done["created"] == [1, 2]
    out = tmp_path / "cases.xlsx"
    exported = chuding(env, "--as", "clerk", "export", "cases", str(out), "--state", "drafted", "--json")
    assert json.loads(exported.stdout) == {"ok": True, "file": str(out), "cases": 2} and exported.stderr == ""
    rows = list(load_workbook(out)["申报"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [1, 2] and all("********" in r[3] for r in rows)
    refused = chuding(env, "--as", "clerk", "export", "cases", str(out), "--full-ids", code=1)
    assert "administrator" in refused.stderr


def test_a_long_import_shows_its_progress_on_a_terminal_and_nothing_when_piped(db_url: str, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess

    from tests.support.helpers import valid_id, with_id
    from tests.support.service import CHUDING

    env = env_for(db_url, tmp_path, CHUDING_NOW="2024-10-01T09:00:00+08:00", COLUMNS="120")
    chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    chuding(env, "--as", "admin", "operator", "add", "clerk", "--role", "applicant_clerk")
    records = tmp_path / "many.json"
    records.write_text(json.dumps([with_id(engineer(), valid_id(900 + i), f"申报人{i}") for i in range(300)],
                                  ensure_ascii=False), encoding="utf-8")
    piped = chuding(env, "--as", "clerk", "import", str(records))
    assert piped.stderr == "" and "imported 300" in piped.stdout
    again = tmp_path / "again.json"
    again.write_text(json.dumps([with_id(engineer(), valid_id(2000 + i), f"再报{i}") for i in range(300)],
                                ensure_ascii=False), encoding="utf-8")
    leader, follower = pty.openpty()
    done = subprocess.run([*CHUDING, "--as", "clerk", "import", str(again)], env=env, stdout=subprocess.PIPE,
                          stderr=follower, timeout=120)
    os.close(follower)
    shown = b""
    try:
        while chunk := os.read(leader, 65536):
            shown += chunk
    except OSError:
        pass  # the terminal closed
    os.close(leader)
    assert done.returncode == 0 and b"imported 300" in done.stdout
    assert b"importing" in shown and b"300/300" in shown


def test_docs_write_a_private_word_file_or_pdf_and_refuse_what_does_not_apply(db_url: str, tmp_path: Path) -> None:
    env = env_for(db_url, tmp_path, CHUDING_NOW="2024-10-01T09:00:00+08:00")
    chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    chuding(env, "--as", "admin", "operator", "add", "clerk", "--role", "applicant_clerk")
    chuding(env, "--as", "clerk", "import", str(EXAMPLE_FILE))
    out = tmp_path / "c.docx"
    done = json.loads(chuding(env, "--as", "clerk", "docs", "commitment", "1", "-o", str(out), "--json").stdout)
    assert done["file"] == str(out) and oct(out.stat().st_mode & 0o777) == "0o600"
    pdf = tmp_path / "c.pdf"
    chuding(env, "--as", "clerk", "docs", "commitment", "1", "-o", str(pdf), "--pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    refused = chuding(env, "--as", "clerk", "docs", "teacher-statement", "1", code=1)
    assert "教师系列" in refused.stderr
