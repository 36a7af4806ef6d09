"""Hostile import files: each is a named problem, nothing imported, never a crash — by the
use case and through the upload page (a Chinese page, not a 500)."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.helpers import NOTICE, bj, engineer
from tests.support.web import log_in
from tests.support.world import World
from workflow.errors import ImportRefused
from workflow.store.tables import CASES
from workflow.usecases.importer import import_applications, import_workbook

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is></c></row></sheetData></worksheet>')


def _template(tmp_path: Path) -> bytes:
    from workflow.inputs.workbook import write_template

    path = tmp_path / "t.xlsx"
    write_template(path, NOTICE)
    return path.read_bytes()


def _with_sheet(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    """The workbook with its first sheet's XML replaced by ``change(xml)``."""
    source, out = zipfile.ZipFile(BytesIO(data)), BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            target.writestr(item, content)
    return out.getvalue()


def hostile_workbooks(tmp_path: Path) -> dict[str, bytes]:
    good = _template(tmp_path)
    return {"cut": _with_sheet(good, lambda xml: xml[: len(xml) // 2]),
            "laughs": _with_sheet(good, lambda _: LAUGHS),
            "external": _with_sheet(good, lambda _: EXTERNAL)}


def _no_cases(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(CASES)).scalar() == 0


@pytest.mark.parametrize("kind", ["cut", "laughs", "external"])
def test_a_hostile_workbook_is_a_named_problem(engine: sa.Engine, tmp_path: Path, kind: str) -> None:
    World(engine)
    with pytest.raises(ImportRefused) as err:
        import_workbook(engine, hostile_workbooks(tmp_path)[kind], f"{kind}.xlsx", "clerk", bj(2024, 9, 28))
    [problem] = err.value.problems
    assert problem.rule == "import.workbook" and "未导入" not in problem.message
    _no_cases(engine)


def test_json_with_a_number_of_thousands_of_digits_is_a_named_problem(engine: sa.Engine) -> None:
    World(engine)
    record = json.dumps([engineer()], ensure_ascii=False)
    text = record.replace('"year": 2023', '"year": ' + "9" * 5000, 1)
    with pytest.raises(ImportRefused) as err:
        import_applications(engine, text, "big.json", "clerk", bj(2024, 9, 28))
    assert [p.rule for p in err.value.problems] == ["import.json"] and "位数过多" in str(err.value)
    _no_cases(engine)


def test_the_upload_page_names_every_hostile_file_and_never_fails(site, engine: sa.Engine,  # type: ignore[no-untyped-def]
                                                               tmp_path: Path) -> None:
    _, client = site
    token = log_in(client, "clerk")
    files = {f"{k}.xlsx": v for k, v in hostile_workbooks(tmp_path).items()}
    files["big.json"] = ('[{"n": ' + "9" * 5000 + "}]").encode()
    for name, data in files.items():
        page = client.post("/import", data={"csrf": token}, files={"file": (name, data, "application/octet-stream")})
        assert page.status_code == 400 and "未导入任何申报" in page.text, (name, page.status_code)
        assert "Traceback" not in page.text
