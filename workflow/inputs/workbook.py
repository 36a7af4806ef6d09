"""The import workbook: one row per application, one column per field, headers in Chinese.

`chuding template` writes it empty, with drop-down lists and a sheet explaining each
column; `chuding import` reads it back into the same records as the JSON format, which
then pass the same checks. What a spreadsheet program does to values is undone here:
dates as Excel dates or as text, numbers as numbers or text, stray spaces, full-width
digits. Every problem is named by sheet, row and column header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from states.materials import named_by_import
from states.notice import Notice

SHEET, HELP_SHEET = "申报", "填写说明"
GROUPS = 3  # educations, assessments and continuing education a row has room for
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Column:
    path: str  # where the value goes in a record: "educations[0].level"
    header: str
    kind: str  # text, id, phone, date, int, number, bool
    help: str
    choices: tuple[str, ...] = ()


def columns(notice: Notice) -> list[Column]:
    """The workbook's columns for a campaign's notice (its lists fill the drop-downs)."""
    return _person(notice) + _groups(notice) + _closing(notice)


def _person(notice: Notice) -> list[Column]:
    c = Column
    return [
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


def _groups(notice: Notice) -> list[Column]:
    """Three educations, three assessments, three years of continuing education."""
    c = Column
    found: list[Column] = []
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
    return found


def _closing(notice: Notice) -> list[Column]:
    c = Column
    found = [
        c("teacher_credit_certificate", "六五周期学分认定合格证书文件", "text", "教师系列填写"),
        c("ce_exemption", "继续教育免试审批表文件", "text", ""),
        c("work_summary", "个人工作总结", "text",
          f"{notice.summary_min_chars}–{notice.summary_max_chars} 字（不计空白）"),
        c("commitment_text", "承诺书文字", "text", "照录承诺书原文"),
    ]
    found += [c(f"materials.{m.key}", f"{m.name}文件", "text", "上传后的文件位置") for m in named_by_import(notice)]
    return found


# --- writing the empty workbook -------------------------------------------------------

def write_template(path: Path, notice: Notice) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from workflow.inputs.sheets import append_row

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
            listed = DataValidation(type="list", formula1=_list_formula(book, col.choices), allow_blank=True,
                                    showErrorMessage=True, errorTitle=col.header, error=f"请从列表中选择{col.header}")
            listed.add(cells)
            sheet.add_data_validation(listed)
        if col.kind == "date":
            for row in range(2, 202):  # the first rows show dates as dates; Excel carries it on
                sheet.cell(row, index).number_format = "yyyy-mm-dd"
        if col.kind in ("id", "phone"):  # text, so that Excel keeps every digit as typed
            sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width, 22)
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 202):
                sheet.cell(row, index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(HELP_SHEET)
    guide.append(["列", "列名", "填写说明", "可选值"])
    for index, col in enumerate(cols, start=1):  # the choices come from the notice file: text, never formulas
        append_row(guide, [get_column_letter(index), col.header, col.help or "选填", "、".join(col.choices)])
    for letter, width in zip("ABCD", (6, 30, 40, 60), strict=True):
        guide.column_dimensions[letter].width = width
    for cell in guide[1]:
        cell.font = Font(bold=True)
    all_or_nothing = "一行一份申报。任何一格有问题，整个文件都不导入，并列出每个问题（工作表、行、列名）。"
    guide.cell(len(cols) + 3, 1, all_or_nothing).alignment = Alignment(wrap_text=False)
    book.save(path)


CHOICES_SHEET = "选项"
LIST_LIMIT = 255  # what Excel takes of a list written out in the rule itself


def _list_formula(book: Any, choices: tuple[str, ...]) -> str:
    """A drop-down's list: written out when Excel takes it so (up to 255 characters, no
    comma or quote in a choice), else from cells of a hidden sheet. The choices come from
    the notice's config, which may list many, or name one with a comma."""
    from openpyxl.utils import get_column_letter, quote_sheetname

    inline = ",".join(choices)
    if len(inline) <= LIST_LIMIT and not any("," in c or '"' in c for c in choices):
        return f'"{inline}"'
    if CHOICES_SHEET not in book.sheetnames:
        book.create_sheet(CHOICES_SHEET).sheet_state = "hidden"
    lists = book[CHOICES_SHEET]
    letter = get_column_letter(lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value is not None else 1)
    for row, choice in enumerate(choices, start=1):
        lists[f"{letter}{row}"] = choice
        lists[f"{letter}{row}"].data_type = "s"  # a choice is text, whatever it starts with
    return f"{quote_sheetname(CHOICES_SHEET)}!${letter}$1:${letter}${len(choices)}"
