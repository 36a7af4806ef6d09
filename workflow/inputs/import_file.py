"""An import file read and checked before anything is stored: its size, its JSON, its
depth, and each record's shape, with every problem named by record, ID (masked) and field."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from states import idnumber
from workflow.errors import ImportRefused, Problem
from workflow.inputs.records import ApplicationRecord

# A file this large is not a county's applications, whichever way it comes (the command
# line, an upload, JSON or a workbook); nesting this deep is not a record.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_RECORDS = 10_000
MAX_DEPTH = 8


def read_records(text: str, source: str) -> list[Any]:
    def refused(where: str, message: str, rule: str) -> ImportRefused:
        return ImportRefused(source, [Problem(None, "", where, message, rule)])

    text = text.removeprefix("\ufeff")  # a UTF-8 BOM, as spreadsheet programs write it
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8")) > MAX_FILE_BYTES:  # counted once it is text
        raise refused("(file)", f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB", "import.file_size")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise refused(f"line {err.lineno} column {err.colno}", f"不是有效的 JSON：{err.msg}", "import.json") from None
    except RecursionError:
        raise refused("(file)", f"嵌套过深：一条记录最多 {MAX_DEPTH} 层", "import.depth") from None
    except ValueError:  # a number of thousands of digits, beyond what Python converts
        raise refused("(file)", "含有位数过多的数字（超过 4300 位），不是有效的申报数据", "import.json") from None
    records = data if isinstance(data, list) else [data]
    if not records:
        raise refused("(top level)", "文件中没有记录", "import.empty")
    if len(records) > MAX_RECORDS:
        raise refused("(top level)", f"一次最多导入 {MAX_RECORDS} 条记录，实有 {len(records)} 条", "import.too_many")
    if _depth(data) > MAX_DEPTH + 1:
        raise refused("(file)", f"嵌套过深：一条记录最多 {MAX_DEPTH} 层", "import.depth")
    return records


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def masked_id(raw: Any) -> str:
    """The masked ID number of a record as read, or nothing."""
    try:
        return idnumber.mask(str(raw["applicant"]["id_number"]))
    except (TypeError, KeyError):
        return ""


# pydantic's kinds of error in the user's words; anything else keeps pydantic's text.
SAID = {
    "missing": "缺少此项",
    "extra_forbidden": "未知的项目（拼写错误？）",
    "string_type": "须为文字",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_type": "须为数字",
    "finite_number": "须为有限的数字",
    "bool_type": "须为 true 或 false",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "date_type": "须为日期，如 2024-07-01",
    "date_parsing": "须为日期，如 2024-07-01",
    "date_from_datetime_parsing": "须为日期，如 2024-07-01",
    "date_from_datetime_inexact": "须为日期，不带时刻",
}


def said(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("string_too_long", "too_long"):
        return f"最多 {ctx.get('max_length')} {'个字符' if kind == 'string_too_long' else '项'}"
    if kind in ("string_too_short", "too_short"):
        return "不能为空" if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 项"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"须在允许范围内（{'不小于' if kind == 'greater_than_equal' else '不大于'} {next(iter(ctx.values()))}）"
    return SAID.get(kind, error["msg"])


def validate_records(raw: list[Any]) -> tuple[list[ApplicationRecord | None], list[Problem]]:
    """Each record checked on its own; every problem of every record is reported."""
    records: list[ApplicationRecord | None] = []
    problems = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(number, "", "(record)", f"须为对象，实为 {type(item).__name__}", "import.shape"))
            records.append(None)
            continue
        try:
            records.append(ApplicationRecord.model_validate(item))
        except ValidationError as err:
            records.append(None)
            for e in err.errors():
                where = field_path(e["loc"])
                problems.append(Problem(number, masked_id(item), where or "(record)", said(e), f"import.{e['type']}"))
    return records, problems


def field_path(loc: tuple[Any, ...]) -> str:
    """('educations', 0, 'level') -> educations[0].level"""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
