"""Importing applications: a bad record is named, and then nothing is imported."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from states.values import Event
from tests.support.helpers import bj, engineer, teacher
from tests.support.imports import refused
from tests.support.world import World
from workflow.errors import ImportRefused
from workflow.usecases.importer import import_applications


def with_second(change) -> str:  # type: ignore[no-untyped-def]
    second = teacher()
    change(second)
    return json.dumps([engineer(), second], ensure_ascii=False)


def test_malformed_json(engine: sa.Engine) -> None:
    assert refused(World(engine), '[{"applicant": }]') == ["file: line 1 column 16: 不是有效的 JSON：Expecting value"]


def test_bad_id_checksum(engine: sa.Engine) -> None:
    text = with_second(lambda r: r["applicant"].update(id_number="652822199808080101"))
    [problem] = refused(World(engine), text)
    assert problem.startswith("record 2 (652822********0101): applicant.id_number: ")
    assert "校验位不对" in problem


def test_unknown_education_level(engine: sa.Engine) -> None:
    text = with_second(lambda r: r["educations"][1].update(level="副博士"))
    [problem] = refused(World(engine), text)
    assert problem.startswith("record 2 (652822********010X): educations[1].level: 未知的学历层次 '副博士'")


def test_impossible_date(engine: sa.Engine) -> None:
    text = with_second(lambda r: r.update(work_started_on="2021-02-30"))
    [problem] = refused(World(engine), text)
    assert problem.startswith("record 2 (652822********010X): work_started_on: ")


def test_wrong_typed_field(engine: sa.Engine) -> None:
    text = with_second(lambda r: r["assessments"][0].update(year="2021"))
    [problem] = refused(World(engine), text)
    assert problem == "record 2 (652822********010X): assessments[0].year: 须为整数"


def test_every_problem_of_every_record_is_listed(engine: sa.Engine) -> None:
    def spoil(r):  # type: ignore[no-untyped-def]
        r["applicant"]["phone"] = "12345"
        r["continuing_education"] = [{"year": 2023, "public_hours": -1, "professional_hours": 60}]
        r["colour"] = "blue"
    problems = refused(World(engine), with_second(spoil))
    fields = sorted(p.split(": ")[1] for p in problems)
    assert fields == ["applicant.phone", "colour", "continuing_education[0].public_hours"]


def test_work_start_before_graduation_is_refused(engine: sa.Engine) -> None:
    text = with_second(lambda r: r.update(work_started_on="2021-06-01"))
    [problem] = refused(World(engine), text)
    assert "work_started_on: 参加工作时间 2021-06-01 早于最高全日制学历毕业时间 2021-06-30" in problem


def test_one_case_per_person_per_campaign_and_returned_cases_are_replaced(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    with pytest.raises(ImportRefused, match="already has case"):
        world.import_([engineer()])
    world.run(case, Event.START_REVIEW, "reviewer", bj(2024, 10, 9))
    world.run(case, Event.RETURN_FOR_CORRECTION, "reviewer", bj(2024, 10, 9), reason="照片不清晰")
    fixed = engineer()
    fixed["materials"]["photo"] = "files/aili/photo-new.jpg"
    assert world.import_([fixed], now=bj(2024, 10, 10)).amended == [case]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 10))
    assert [h.event for h in world.history(case)] == [
        "import", "submit", "start_review", "return_for_correction", "amend", "submit",
    ]


def test_one_size_limit_for_every_file_counted_in_bytes(engine: sa.Engine) -> None:
    """20 MB, whichever way a file comes: JSON is counted in its UTF-8 bytes (a file of
    Chinese names is three bytes a character), a workbook as it is; one byte more is
    refused before anything is read, and nothing is imported."""
    from workflow.inputs.import_file import MAX_FILE_BYTES
    from workflow.usecases.importer import import_workbook

    World(engine)
    chinese = "[" + " " * (MAX_FILE_BYTES - 1 - 3 * (MAX_FILE_BYTES // 6)) + "名" * (MAX_FILE_BYTES // 6) + "]"
    assert len(chinese) < MAX_FILE_BYTES < len(chinese.encode())
    for importing in (lambda: import_applications(engine, chinese, "big.json", "clerk", bj(2024, 9, 28)),
                      lambda: import_workbook(engine, b"PK\x03\x04" + b"\0" * MAX_FILE_BYTES, "big.xlsx", "clerk",
                                              bj(2024, 9, 28))):
        with pytest.raises(ImportRefused, match="文件过大：最多 20 MB") as err:
            importing()
        assert [p.rule for p in err.value.problems] == ["import.file_size"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM application_case")).scalar() == 0
