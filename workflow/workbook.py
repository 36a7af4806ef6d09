"""The import workbook: one row per application, one column per field, headers in Chinese.

`chuding template` writes it empty, with drop-down lists and a sheet explaining each
column; `chuding import` reads it back into the same records as the JSON format, which
then pass the same checks. What a spreadsheet program does to values is undone here:
dates as Excel dates or as text, numbers as numbers or text, stray spaces, full-width
digits. Every problem is named by sheet, row and column header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from states.notice import Notice
from workflow.errors import ImportRefused, Problem

SHEET, HELP_SHEET = "申报", "填写说明"
GROUPS = 3  # educations, assessments and continuing education a row has room for
MAX_ROWS = 10_000
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    path: str  # where the value goes in a record: "educations[0].level"
    header: str
    kind: str  # text, id, phone, date, int, number, bool
    help: str
    choices: tuple[str, ...] = ()


def columns(notice: Notice) -> list[Column]:
    """The workbook's columns for a campaign's notice (its lists fill the drop-downs)."""
    c = Column
    found = [
        c("campaign", "年度批次代码", "text", f"如 {notice.code}；不填则为最新一期"),
        c("applicant.name", "姓名", "text", "必填"),
        c("applicant.id_number", "身份证号", "id", "必填，18 位"),
        c("applicant.phone", "手机号", "phone", "用于短信通知，11 位"),
        c("applicant.email", "电子邮箱", "text", "用于邮件通知"),
        c("applicant.retired", "已退休", "bool", "是 或 否；不填为否", ("是", "否")),
        c("unit.code", "单位代码", "text", "必填，推荐单位的代码"),
        c("unit.name", "单位名称", "text", "必填"),
        c("unit.level", "单位级别", "text", "必填", notice.known_unit_levels),
        c("unit.type", "单位类型", "text", "必填", notice.unit_type_choices),
        c("unit.email", "单位电子邮箱", "text", "公示期满时通知单位"),
        c("unit.phone", "单位手机号", "phone", "公示期满时通知单位"),
        c("series", "职称系列", "text", "必填", notice.series_choices),
        c("specialty", "专业", "text", "必填"),
        c("work_started_on", "参加工作时间", "date", "必填，日期，如 2022-07-15"),
    ]
    for i in range(GROUPS):
        n = i + 1
        found += [
            c(f"educations[{i}].level", f"学历{n} 层次", "text", "学历1 必填", notice.known_education_levels),
            c(f"educations[{i}].full_time", f"学历{n} 全日制", "bool", "是 或 否", ("是", "否")),
            c(f"educations[{i}].school", f"学历{n} 学校", "text", ""),
            c(f"educations[{i}].major", f"学历{n} 专业", "text", ""),
            c(f"educations[{i}].graduated_on", f"学历{n} 毕业时间", "date", "日期"),
            c(f"educations[{i}].diploma", f"学历{n} 毕业证书文件", "text", "上传后的文件位置"),
            c(f"educations[{i}].chsi_record", f"学历{n} 学信网备案表文件", "text", "上传后的文件位置"),
            c(f"educations[{i}].chsi_record_date", f"学历{n} 备案表日期", "date", "日期"),
            c(f"educations[{i}].archive_proof", f"学历{n} 档案证明文件", "text", "上传后的文件位置"),
        ]
    for i in range(GROUPS):
        n = i + 1
        found += [
            c(f"assessments[{i}].year", f"考核{n} 年度", "int", "如 2023"),
            c(f"assessments[{i}].grade", f"考核{n} 等次", "text", "", notice.known_assessment_grades),
            c(f"assessments[{i}].form", f"考核{n} 考核表文件", "text", "上传后的文件位置"),
        ]
    for i in range(GROUPS):
        n = i + 1
        found += [
            c(f"continuing_education[{i}].year", f"继续教育{n} 年度", "int", "如 2023"),
            c(f"continuing_education[{i}].public_hours", f"继续教育{n} 公需科目学时", "number", "数字"),
            c(f"continuing_education[{i}].professional_hours", f"继续教育{n} 专业科目学时", "number", "数字"),
            c(f"continuing_education[{i}].certificate", f"继续教育{n} 证书文件", "text", "上传后的文件位置"),
        ]
    found += [
        c("teacher_credit_certificate", "六五周期学分认定合格证书文件", "text", "教师系列填写"),
        c("ce_exemption", "继续教育免试审批表文件", "text", ""),
        c("work_summary", "个人工作总结", "text",
          f"{notice.summary_min_chars}–{notice.summary_max_chars} 字（不计空白）"),
        c("commitment_text", "承诺书文字", "text", "照录承诺书原文"),
    ]
    found += [c(f"materials.{m.code}", f"{m.name}文件", "text", "上传后的文件位置") for m in notice.online_materials]
    return found


# --- writing the empty workbook -------------------------------------------------------

def write_template(path: Path, notice: Notice) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    cols = columns(notice)
    sheet.append([col.header for col in cols])
    for index, col in enumerate(cols, start=1):
        letter = get_column_letter(index)
        sheet.cell(1, index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(10, min(40, 2 * len(col.header) + 2))
        cells = f"{letter}2:{letter}{MAX_ROWS + 1}"
        if col.choices:
            # A list longer than 255 characters must live in cells; ours are short lists.
            listed = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True,
                                    showErrorMessage=True, errorTitle=col.header, error=f"请从列表中选择{col.header}")
            listed.add(cells)
            sheet.add_data_validation(listed)
        if col.kind == "date":
            for row in range(2, 202):  # the first rows show dates as dates; Excel carries it on
                sheet.cell(row, index).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(HELP_SHEET)
    guide.append(["列", "列名", "填写说明", "可选值"])
    for index, col in enumerate(cols, start=1):
        guide.append([get_column_letter(index), col.header, col.help or "选填", "、".join(col.choices)])
    for letter, width in zip("ABCD", (6, 30, 40, 60), strict=True):
        guide.column_dimensions[letter].width = width
    for cell in guide[1]:
        cell.font = Font(bold=True)
    guide.cell(len(cols) + 3, 1, "一行一份申报。任何一格有问题，整个文件都不导入，并列出每个问题（工作表、行、列名）。").alignment = \
        Alignment(wrap_text=False)
    book.save(path)


# --- reading a filled-in workbook -----------------------------------------------------

Locate = Callable[[Problem], Problem]
PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def read_workbook(data: bytes, source: str, notice: Notice) -> tuple[list[Any], Locate]:
    """The records in the workbook (as the JSON format has them), and how to name a
    problem of record n by its sheet, row and column."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    def refused(field: str, message: str, rule: str) -> ImportRefused:
        return ImportRefused(source, [Problem(None, "", field, message, rule)])

    if len(data) > MAX_BYTES:
        raise refused("(file)", f"文件过大：最多 {MAX_BYTES // 1024 // 1024} MB", "import.file_size")
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - anything that is not a workbook
        raise refused("(file)", f"不是 Excel 工作簿（.xlsx）：{type(err).__name__}", "import.workbook") from None
    if SHEET not in book.sheetnames:
        raise refused("(file)", f"没有名为「{SHEET}」的工作表（用 chuding template 生成的模板填写）", "import.sheet")
    sheet = book[SHEET]
    rows = sheet.iter_rows(values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    by_header = {col.header: col for col in columns(notice)}
    unknown = [(i, h) for i, h in enumerate(header) if h and h not in by_header]
    if unknown:
        raise ImportRefused(source, [Problem(None, "", f"第 1 行 {get_column_letter(i + 1)} 列「{h}」", "未知的列名",
                                             "import.column", place=f"工作表「{SHEET}」") for i, h in unknown])
    records: list[Any] = []
    places: list[tuple[int, dict[str, str]]] = []  # the sheet row of each record, and model path -> header
    for number, values in enumerate(rows, start=2):
        cells = {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i] and _filled(v)}
        if not cells:
            continue
        if len(records) >= MAX_ROWS:
            raise refused("(file)", f"一次最多导入 {MAX_ROWS} 行", "import.too_many")
        record, headers = _record(cells, by_header)
        records.append(record)
        places.append((number, headers))
    if not records:
        raise refused(f"工作表「{SHEET}」", "没有填写任何申报", "import.empty")

    def locate(problem: Problem) -> Problem:
        if problem.record is None:
            return problem
        row, headers = places[problem.record - 1]
        header = headers.get(problem.field) or _nearest(problem.field, headers) or problem.field
        return Problem(problem.record, problem.who, f"列「{header}」", problem.message, problem.rule,
                       place=f"工作表「{SHEET}」第 {row} 行")

    return records, locate


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _nearest(path: str, headers: dict[str, str]) -> str | None:
    """A problem about a whole group ("educations") names its first column."""
    return next((h for p, h in headers.items() if p.startswith(path)), None)


def _record(cells: dict[str, Any], by_header: dict[str, Column]) -> tuple[dict[str, Any], dict[str, str]]:
    """A row as a record. A group (学历2, 考核3...) left empty is left out; the groups
    filled are numbered from the first, and each keeps its own column names."""
    record: dict[str, Any] = {}
    headers: dict[str, str] = {}
    groups: dict[tuple[str, int], int] = {}
    for col in sorted((by_header[h] for h in cells), key=lambda c: _group_key(c.path)):
        path = col.path
        found = re.match(r"(\w+)\[(\d+)\]\.(.+)", path)
        if found:
            name, index = found.group(1), int(found.group(2))
            slot = groups.setdefault((name, index), sum(1 for g in groups if g[0] == name))
            path = f"{name}[{slot}].{found.group(3)}"
        _put(record, path, _value(col.kind, cells[col.header]))
        headers[path] = col.header
    return record, headers


def _group_key(path: str) -> tuple[str, int, str]:
    found = re.match(r"(\w+)\[(\d+)\]\.(.+)", path)
    return (found.group(1), int(found.group(2)), found.group(3)) if found else (path, -1, "")


def _put(record: dict[str, Any], path: str, value: Any) -> None:
    parts = [name if name else int(index) for name, index in PATH_PART.findall(path)]
    here: Any = record
    for part, after in zip(parts, parts[1:], strict=False):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(part, int):
            while len(here) <= part:
                here.append({})
            here = here[part]
        else:
            here = here.setdefault(part, empty)
    here[parts[-1]] = value


DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _value(kind: str, raw: Any) -> Any:
    """A cell as the record wants it; a value that cannot be is passed on as it is, so
    that the record's checks name the problem in their words."""
    if isinstance(raw, str):
        raw = raw.strip()
        if kind != "text":
            raw = unicodedata.normalize("NFKC", raw)  # full-width digits and letters
    if kind in ("text", "id", "phone"):
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # 13899990001 typed as a number
        text = raw if isinstance(raw, str) else str(raw)
        return text.replace(" ", "").upper() if kind == "id" else text
    if kind == "date":
        return _date(raw)
    if kind == "int":
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        return int(raw) if isinstance(raw, str) and raw.isdigit() else raw
    if kind == "number":
        if isinstance(raw, str):
            try:
                return float(raw) if "." in raw else int(raw)
            except ValueError:
                return raw
        return raw
    if kind == "bool":
        said = {"是": True, "否": False, "TRUE": True, "FALSE": False, "Y": True, "N": False, "1": True, "0": False}
        return said.get(str(raw).upper(), raw) if not isinstance(raw, bool) else raw
    return raw


def _date(raw: Any) -> Any:
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, int | float) and 1 < raw < 2958466:  # a date the cell kept as its serial number
        from openpyxl.utils.datetime import from_excel

        return from_excel(raw).date().isoformat()
    if isinstance(raw, str):
        found = DATE_TEXT.match(raw)
        if found:
            try:
                return date(*(int(g) for g in found.groups())).isoformat()
            except ValueError:
                return raw
        if raw.isdigit() and len(raw) == 8:
            try:
                return date(int(raw[:4]), int(raw[4:6]), int(raw[6:])).isoformat()
            except ValueError:
                return raw
    return raw
