"""Import workbooks as a clerk fills them in, or spoils them."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.support.helpers import NOTICE
from workflow.inputs.workbook import SHEET, columns
from workflow.inputs.workbook_read import PATH_PART

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def value_at(record: dict[str, Any], path: str) -> Any:
    here: Any = record
    for name, index in PATH_PART.findall(path):
        try:
            here = here[int(index)] if index else here[name]
        except (KeyError, IndexError, TypeError):
            return None
    return here


def filled(records: list[dict[str, Any]], template: Path, spoil: Any = None) -> bytes:
    """The template filled in as a clerk would: dates as dates or as text, numbers as
    text, full-width digits, stray spaces."""
    book = load_workbook(template)
    sheet = book[SHEET]
    headers = [c.value for c in sheet[1]]
    by_header = {c.header: c for c in columns(NOTICE)}
    for row, record in enumerate(records, start=2):
        for index, header in enumerate(headers, start=1):
            col = by_header[header]
            value = value_at(record, col.path)
            if value is None:
                continue
            if col.kind == "bool":
                value = "是" if value else "否"
            elif col.kind == "date":
                value = date.fromisoformat(value) if row % 2 == 0 else value.replace("-", "/") + " "
            elif col.kind in ("id", "phone"):
                value = f" {str(value).translate(FULL_WIDTH)} "
            elif col.kind in ("int", "number"):
                value = str(value)
            sheet.cell(row, index, value)
    if spoil:
        spoil(sheet, headers)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
