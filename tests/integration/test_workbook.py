"""The import workbook: written empty by `template`, filled in as people fill it in,
imported with the same checks as JSON, every problem named by sheet, row and column."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from tests.support.helpers import NOTICE, bj, engineer, teacher, valid_id, with_id
from tests.support.workbooks import filled
from tests.support.world import World
from workflow.errors import ImportRefused
from workflow.inputs.records import ApplicationRecord
from workflow.inputs.workbook import HELP_SHEET, SHEET, write_template
from workflow.store.stored_application import application_json
from workflow.store.tables import CASES
from workflow.usecases.importer import import_workbook


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "applications.xlsx"
    write_template(path, NOTICE)
    return path


def test_the_template_has_a_header_per_field_drop_downs_and_a_guide(template: Path) -> None:
    book = load_workbook(template)
    assert book.sheetnames == [SHEET, HELP_SHEET]
    sheet = book[SHEET]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["年度批次代码", "姓名", "身份证号"] and "学历1 层次" in headers and "考核3 等次" in headers
    assert sheet.freeze_panes == "A2"
    validations = sheet.data_validations.dataValidation
    lists = {str(v.sqref).split(":")[0][:-1].rstrip("0123456789"): v.formula1 for v in validations}
    letter = {h: sheet.cell(1, i + 1).column_letter for i, h in enumerate(headers)}
    assert "本科" in lists[letter["学历1 层次"]] and "优秀" in lists[letter["考核1 等次"]]
    assert "县级" in lists[letter["单位级别"]] and "事业单位" in lists[letter["单位类型"]]
    assert "工程技术" in lists[letter["职称系列"]]
    guide = [[c.value for c in row] for row in book[HELP_SHEET].iter_rows(min_row=2, max_row=len(headers) + 1)]
    assert [g[1] for g in guide] == headers and all(g[2] is not None for g in guide)


def test_choices_too_long_or_with_a_comma_for_excel_s_own_list_come_from_a_hidden_sheet(tmp_path: Path) -> None:
    """Excel takes at most 255 characters of a list written in the rule, and a comma
    splits a choice: the notice's config may say either, so those lists live in cells."""
    from dataclasses import replace

    series = tuple(f"系列{i:02d}（长名称示例）" for i in range(40)) + ("工程技术,水利",)
    notice = replace(NOTICE, series_choices=series, unit_type_choices=("事业单位", "企业"))
    path = tmp_path / "long.xlsx"
    write_template(path, notice)
    book = load_workbook(path)
    sheet = book[SHEET]
    letter = {c.value: c.column_letter for c in sheet[1]}
    rules = {str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1 for v in sheet.data_validations.dataValidation}
    assert rules[letter["单位类型"]] == '"事业单位,企业"'  # short: written in the rule
    reference = rules[letter["职称系列"]]
    assert reference.startswith("'选项'!$") and book["选项"].sheet_state == "hidden"
    column = reference.split("!$")[1].split("$")[0]
    assert tuple(c.value for c in book["选项"][column]) == series
    assert len(",".join(series)) > 255


def test_a_filled_workbook_imports_the_same_cases_as_the_json(engine: sa.Engine, template: Path) -> None:
    World(engine)
    records = [engineer(), teacher()]
    done = import_workbook(engine, filled(records, template), "a.xlsx", "clerk", bj(2024, 9, 28))
    assert len(done.created) == 2
    with engine.connect() as conn:
        stored = [json.loads(r) for r in conn.execute(sa.select(CASES.c.application).order_by(CASES.c.id)).scalars()]
    expected = [json.loads(application_json(ApplicationRecord.model_validate(r).to_domain())) for r in records]
    assert stored == expected


def test_bad_cells_in_several_rows_are_all_named_and_nothing_is_imported(engine: sa.Engine, template: Path) -> None:
    World(engine)
    records = [with_id(engineer(), valid_id(700 + i), f"申报人{i}") for i in range(3)]

    def spoil(sheet: Any, headers: list[str]) -> None:
        column = {h: i + 1 for i, h in enumerate(headers)}
        sheet.cell(2, column["学历1 毕业时间"], "去年夏天")
        sheet.cell(3, column["考核2 年度"], "二〇二三")
        sheet.cell(4, column["身份证号"], "652822199901010019")  # a wrong check digit
        sheet.cell(4, column["学历1 层次"], "大学")

    with pytest.raises(ImportRefused) as refused:
        import_workbook(engine, filled(records, template, spoil), "b.xlsx", "clerk", bj(2024, 9, 28))
    said = [str(p) for p in refused.value.problems]
    assert any("第 2 行" in s and "学历1 毕业时间" in s and "日期" in s for s in said), said
    assert any("第 3 行" in s and "考核2 年度" in s for s in said), said
    assert any("第 4 行" in s and "身份证号" in s for s in said), said
    assert any("第 4 行" in s and "学历1 层次" in s and "大学" in s for s in said), said
    assert all(s.startswith(f"工作表「{SHEET}」") for s in said)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(CASES)).scalar() == 0


def test_digits_no_number_is_read_from_are_named_as_a_problem_never_a_crash(engine: sa.Engine, template: Path) -> None:
    """Ethiopic and Kharosthi digits are digits to str.isdigit, but not to int(): the cell
    is passed on as it is and refused by the record's own check, naming row and column."""
    World(engine)

    def spoil(sheet: Any, headers: list[str]) -> None:
        column = {h: i + 1 for i, h in enumerate(headers)}
        sheet.cell(2, column["考核1 年度"], "፩፱፱፱")
        sheet.cell(2, column["学历1 毕业时间"], "𐩀𐩁𐩂𐩃𐩀𐩁𐩂𐩃")

    with pytest.raises(ImportRefused) as refused:
        import_workbook(engine, filled([engineer()], template, spoil), "d.xlsx", "clerk", bj(2024, 9, 28))
    said = [str(p) for p in refused.value.problems]
    assert any("第 2 行" in s and "考核1 年度" in s for s in said), said
    assert any("第 2 行" in s and "学历1 毕业时间" in s for s in said), said


def test_a_file_that_is_not_the_workbook_is_refused_by_name(engine: sa.Engine, tmp_path: Path) -> None:
    World(engine)
    with pytest.raises(ImportRefused, match="Excel"):
        import_workbook(engine, b"PK\x03\x04 not really", "c.xlsx", "clerk", bj(2024, 9, 28))
    other = Workbook()
    other.active.title = "Sheet1"
    out = BytesIO()
    other.save(out)
    with pytest.raises(ImportRefused, match="申报"):
        import_workbook(engine, out.getvalue(), "d.xlsx", "clerk", bj(2024, 9, 28))
    unknown = Workbook()
    unknown.active.title = SHEET
    unknown.active.append(["姓名", "外号"])
    unknown.active.append(["张三", "小张"])
    out = BytesIO()
    unknown.save(out)
    with pytest.raises(ImportRefused, match="外号"):
        import_workbook(engine, out.getvalue(), "e.xlsx", "clerk", bj(2024, 9, 28))


def test_an_export_reads_back_as_the_list_with_ids_masked_unless_an_administrator_asks(
        engine: sa.Engine, tmp_path: Path) -> None:
    from states.clock import in_beijing
    from workflow.reads.cases import cases_for
    from workflow.reads.export import HEADERS, export_cases
    from workflow.store.tables import AUDIT

    world = World(engine)
    world.import_([engineer(), teacher()])
    out = tmp_path / "cases.xlsx"
    assert export_cases(engine, "reviewer", out) == 2
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    sheet = load_workbook(out)["申报"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert tuple(rows[0]) == HEADERS and sheet.freeze_panes == "A2"
    listed = cases_for(engine, "reviewer", limit=100, oldest=True)
    assert [r[:7] for r in rows[1:]] == [[x["case"], x["campaign"], x["name"], x["id_number"], x["unit"], x["state"],
                                          x["state_label"]] for x in listed]
    assert [r[7] for r in rows[1:]] == [in_beijing(x["updated_at"]).replace(tzinfo=None, microsecond=0)
                                        for x in listed]
    assert "********" in rows[1][3]
    with pytest.raises(Exception, match="administrator"):
        export_cases(engine, "reviewer", out, full_ids=True)
    assert export_cases(engine, "admin", out, full_ids=True) == 2
    full = [[c.value for c in row] for row in load_workbook(out)["申报"].iter_rows(min_row=2)]
    assert full[0][3] == engineer()["applicant"]["id_number"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(AUDIT)
                            .where(AUDIT.c.action == "export.full_ids", AUDIT.c.actor == "admin")).scalar() == 1
    assert export_cases(engine, "school", out) == 1  # a unit operator's own unit only


def test_a_workbook_that_would_unpack_to_gigabytes_is_refused_before_it_is_read(engine: sa.Engine,
                                                                                 template: Path) -> None:
    import zipfile

    World(engine)
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name in zipfile.ZipFile(template).namelist():
            bomb.writestr(name, zipfile.ZipFile(template).read(name))
        with bomb.open("xl/padding.xml", "w") as padding:  # 250 MB that compress to a few hundred KB
            for _ in range(250):
                padding.write(b"a" * 1024 * 1024)
    assert len(out.getvalue()) < 2 * 1024 * 1024
    with pytest.raises(ImportRefused, match="解压后过大"):
        import_workbook(engine, out.getvalue(), "bomb.xlsx", "clerk", bj(2024, 9, 28))


def test_two_exports_to_one_file_at_once_leave_one_whole_private_workbook(engine: sa.Engine, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from workflow.reads.export import export_cases

    world = World(engine)
    world.import_([with_id(engineer(), valid_id(1000 + i), f"同时{i}") for i in range(200)])
    out = tmp_path / "same.xlsx"
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda _: export_cases(engine, "reviewer", out), range(4)))
    assert done == [200] * 4
    assert load_workbook(out)["申报"].max_row == 201 and oct(out.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["same.xlsx"]  # nothing half written left behind


def test_the_id_and_phone_columns_are_text_and_an_id_excel_kept_as_a_number_has_its_own_refusal(
        engine: sa.Engine, template: Path) -> None:
    """18 digits typed into a General cell: Excel keeps 15 significant digits. The template's
    ID and phone columns are text (@) and wide; a number in an ID cell is refused as what it
    is, naming its row and column, never with a checksum complaint about digits nobody typed."""
    book = load_workbook(template)
    sheet = book[SHEET]
    letter = {c.value: c.column_letter for c in sheet[1]}
    for header in ("身份证号", "手机号"):
        assert sheet[f"{letter[header]}2"].number_format == "@" and sheet[f"{letter[header]}200"].number_format == "@"
        assert sheet.column_dimensions[letter[header]].width >= 20
    World(engine)

    def as_excel_saves_it(sheet: Any, headers: list[str]) -> None:
        column = {h: i + 1 for i, h in enumerate(headers)}
        sheet.cell(3, column["身份证号"], 652822199801010000)  # what 652822199801010016 typed in General became

    records = [with_id(engineer(), valid_id(800)), with_id(engineer(), valid_id(801), "第二人")]
    with pytest.raises(ImportRefused) as refused:
        import_workbook(engine, filled(records, template, as_excel_saves_it), "e.xlsx", "clerk", bj(2024, 9, 28))
    [problem] = refused.value.problems
    said = str(problem)
    assert said.startswith(f"工作表「{SHEET}」第 3 行") and "列「身份证号」" in said and "存成了数字" in said
    assert "校验" not in said
