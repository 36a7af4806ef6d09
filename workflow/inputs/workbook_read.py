"""Reading a filled-in import workbook back into the records the JSON format has.

What a spreadsheet program does to values is undone here: dates as Excel dates, serial
numbers or text, numbers as numbers or text, stray spaces, full-width digits. A group
left empty (学历2...) is left out. Every problem is then named by sheet, row and column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from io import BytesIO
from itertools import islice
from typing import Any

from states.notice import Notice
from workflow.errors import ImportRefused, Problem
from workflow.inputs.import_file import MAX_FILE_BYTES
from workflow.inputs.workbook import MAX_ROWS, SHEET, Column, columns

Locate = Callable[[Problem], Problem]
PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def read_workbook(data: bytes, source: str, notice: Notice) -> tuple[list[Any], Locate]:
    """The records in the workbook (as the JSON format has them), and how to name a
    problem of record n by its sheet, row and column."""
    from openpyxl.utils import get_column_letter

    rows = _sheet_rows(data, source)
    header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    by_header = {col.header: col for col in columns(notice)}
    unknown = [(i, h) for i, h in enumerate(header) if h and h not in by_header]
    if unknown:
        raise ImportRefused(source, [Problem(None, "", f"第 1 行 {get_column_letter(i + 1)} 列「{h}」", "未知的列名",
                                             "import.column", place=f"工作表「{SHEET}」") for i, h in unknown])
    records, places = _records(rows, header, by_header, source)

    def locate(problem: Problem) -> Problem:
        if problem.record is None:
            return problem
        row, headers = places[problem.record - 1]
        header = headers.get(problem.field) or _nearest(problem.field, headers) or problem.field
        return Problem(problem.record, problem.who, f"列「{header}」", problem.message, problem.rule,
                       place=f"工作表「{SHEET}」第 {row} 行")

    return records, locate


def _refused(source: str, field: str, message: str, rule: str) -> ImportRefused:
    return ImportRefused(source, [Problem(None, "", field, message, rule)])


def _sheet_rows(data: bytes, source: str) -> Any:
    """The import sheet's rows, as values; a file that is not the workbook is refused."""
    from openpyxl import load_workbook

    def refused(field: str, message: str, rule: str) -> ImportRefused:
        return _refused(source, field, message, rule)

    if len(data) > MAX_FILE_BYTES:
        raise refused("(file)", f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB", "import.file_size")
    if _unpacked_size(data) > MAX_UNPACKED:  # a small file that would unpack to gigabytes
        raise refused("(file)", f"文件解压后过大：最多 {MAX_UNPACKED // 1024 // 1024} MB", "import.file_size")
    import openpyxl

    # A workbook is XML written by someone else: entities (billion laughs) and external
    # references are refused by defusedxml, which openpyxl uses when it is installed.
    if not openpyxl.DEFUSEDXML:
        raise RuntimeError("defusedxml is not installed: refusing to read a workbook's XML without it")
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - anything that is not a workbook
        raise refused("(file)", f"不是 Excel 工作簿（.xlsx）：{type(err).__name__}", "import.workbook") from None
    if SHEET not in book.sheetnames:
        raise refused("(file)", f"没有名为「{SHEET}」的工作表（用 chuding template 生成的模板填写）", "import.sheet")
    try:  # read whole here: the sheet's XML is parsed as it is read, and may be cut or hostile
        # (the header, at most MAX_ROWS rows, and one more to say there were too many)
        return iter(list(islice(book[SHEET].iter_rows(values_only=True), MAX_ROWS + 2)))
    except Exception as err:  # noqa: BLE001 - XML cut short, entities, anything unreadable
        raise refused("(file)", f"工作表「{SHEET}」的内容已损坏或含不允许的 XML（{type(err).__name__}），"
                      "请用 chuding template 生成的模板重新填写", "import.workbook") from None


# What a workbook of 10,000 applications unpacks to, with room to spare.
MAX_UNPACKED = 200 * 1024 * 1024


def _unpacked_size(data: bytes) -> int:
    """The sizes its zip directory declares (0 for what is not a zip file: refused next)."""
    import zipfile

    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0


def _records(rows: Any, header: list[str], by_header: dict[str, Column],
             source: str) -> tuple[list[Any], list[tuple[int, dict[str, str]]]]:
    """Each filled row as a record, with its sheet row and which header each field came from."""
    records: list[Any] = []
    places: list[tuple[int, dict[str, str]]] = []  # the sheet row of each record, and model path -> header
    numbers: list[Problem] = []  # ID numbers Excel kept as numbers
    for number, values in enumerate(rows, start=2):
        cells = {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i] and _filled(v)}
        if not cells:
            continue
        if len(records) >= MAX_ROWS:
            raise _refused(source, "(file)", f"一次最多导入 {MAX_ROWS} 行", "import.too_many")
        numbers += [Problem(len(records) + 1, "", f"列「{h}」", ID_AS_NUMBER, "import.id_as_number",
                            place=f"工作表「{SHEET}」第 {number} 行")
                    for h, v in cells.items() if by_header[h].kind == "id" and isinstance(v, int | float)]
        record, headers = _record(cells, by_header)
        records.append(record)
        places.append((number, headers))
    if numbers:  # its own refusal: a checksum complaint would name digits the clerk never typed
        raise ImportRefused(source, numbers)
    if not records:
        raise _refused(source, f"工作表「{SHEET}」", "没有填写任何申报", "import.empty")
    return records, places


# Excel keeps 18 digits typed into a General cell as a number of 15 significant digits:
# the last ones are gone (and the X of a check digit cannot be a number at all).
ID_AS_NUMBER = ("身份证号被 Excel 存成了数字，末几位已经丢失：请把这一列设为“文本”格式，"
                "再重新输入完整的 18 位号码（模板中的这一列已是文本格式）")


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
        # isdecimal, not isdigit: the digits int() reads (not ፩ or ², which are digits too)
        return int(raw) if isinstance(raw, str) and raw.isdecimal() else raw
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
        if raw.isdecimal() and len(raw) == 8:
            try:
                return date(int(raw[:4]), int(raw[4:6]), int(raw[6:])).isoformat()
            except ValueError:
                return raw
    return raw
