"""`chuding export cases`: the case list as a workbook, with the same filters as `list`.

ID numbers are masked unless an administrator asks for them in full, which is recorded
(who, when, which filters) before the file is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from notifications.files import write_private
from states.clock import in_beijing
from states.values import Role
from workflow.inputs.sheets import append_row
from workflow.reads.cases import cases_for
from workflow.store.audit import audit
from workflow.usecases.access import Who, acting

HEADERS = ("申报编号", "年度批次", "姓名", "身份证号", "推荐单位", "状态代码", "状态", "最后更新（北京时间）")
WIDTHS = (10, 14, 14, 22, 14, 16, 14, 22)
EVERY = 2**31 - 1


def export_cases(engine: sa.Engine, who: Who, path: Path, state: str | None = None, unit: str | None = None,
                 campaign: str | None = None, full_ids: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Writes the cases ``who`` may see to ``path``, as `list` lists them; returns how many."""
    if full_ids:
        with engine.begin() as conn:
            admin = acting(conn, who, Role.ADMINISTRATOR)
            audit(conn, admin.login, "export.full_ids", str(path.name), state=state, unit=unit, campaign=campaign)
    rows = cases_for(engine, who, state, campaign, EVERY, unit, oldest=True, full_ids=full_ids)
    _write(path, rows, progress)
    return len(rows)


def _write(path: Path, rows: list[dict[str, Any]], progress: Callable[[int, int], None] | None) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)  # streams rows: 100,000 cases in little memory
    sheet = book.create_sheet("申报")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    heads = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        heads.append(cell)
    sheet.append(heads)
    for done, r in enumerate(rows, start=1):
        updated = WriteOnlyCell(sheet, value=in_beijing(r["updated_at"]).replace(tzinfo=None, microsecond=0))
        updated.number_format = "yyyy-mm-dd hh:mm:ss"
        append_row(sheet, [r["case"], r["campaign"], r["name"], r["id_number"], r["unit"], r["state"],
                           r["state_label"], updated])
        if progress is not None and (done % 1000 == 0 or done == len(rows)):
            progress(done, len(rows))
    # Written beside and moved into place: a reader never sees half a file.
    write_private(path, book.save)
