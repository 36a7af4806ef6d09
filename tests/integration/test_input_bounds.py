"""Input that looks possible but cannot be true, or hides what it is: refused by name, on
both databases; and what the README promises to accept (full-width digits) accepted."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from states.idnumber import check_character
from states.notice import NoticeError
from states.refusals import Refused
from states.values import Event
from tests.support.helpers import NOTICE_TEXT, bj, engineer
from tests.support.imports import refused
from tests.support.world import World
from workflow.documents.produce import file_name
from workflow.inputs.notices import parse_notice_text
from workflow.usecases.importer import import_applications

IMPORTED_ON = bj(2024, 9, 28)


def _id(born: str, serial: str = "001") -> str:
    first17 = f"652822{born}{serial}"
    return first17 + check_character(first17)


def _one(change) -> str:  # type: ignore[no-untyped-def]
    record = engineer()
    change(record)
    return json.dumps([record], ensure_ascii=False)


@pytest.mark.parametrize("text", ["阿\u202eIJ", "王\u200b芳", "\ufeff李四", "张\u2066三"])
def test_bidi_and_zero_width_characters_in_a_name_are_refused(engine: sa.Engine, text: str) -> None:
    [problem] = refused(World(engine), _one(lambda r: r["applicant"].update(name=text)))
    assert "applicant.name" in problem and "格式字符" in problem


def test_bidi_characters_in_a_reason_are_refused(engine: sa.Engine) -> None:
    world = World(engine)
    world.import_([engineer()])
    world.run(1, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    world.run(1, Event.START_REVIEW, "reviewer", bj(2024, 10, 8, 11))
    with pytest.raises(Refused, match="格式字符"):
        world.run(1, Event.RETURN_FOR_CORRECTION, "reviewer", bj(2024, 10, 9), reason="学历\u202e存疑")
    assert world.state(1) == "online_review"


def test_dates_still_to_come_at_the_import_are_refused(engine: sa.Engine) -> None:
    def future(record: dict) -> None:  # type: ignore[type-arg]
        record["applicant"]["id_number"] = _id("20990101")
        record["educations"][0]["graduated_on"] = "2030-06-30"

    problems = refused(World(engine), _one(future))
    assert any("applicant.id_number" in p and "出生日期 2099-01-01 晚于今天（2024-09-28）" in p for p in problems)
    assert any("educations[0].graduated_on" in p and "晚于今天" in p for p in problems)


def test_work_started_before_sixteen_is_refused(engine: sa.Engine) -> None:
    def child(record: dict) -> None:  # type: ignore[type-arg]
        record["applicant"]["id_number"] = _id("20080229")  # 16 on 2024-02-29
        record["educations"][0]["graduated_on"] = "2023-06-30"
        record["work_started_on"] = "2024-02-28"

    [problem] = refused(World(engine), _one(child))
    assert "work_started_on" in problem and "未满 16 周岁" in problem


def test_a_date_given_as_a_number_is_refused(engine: sa.Engine) -> None:
    [problem] = refused(World(engine), _one(lambda r: r.update(work_started_on=1656633600)))
    assert "work_started_on" in problem and "须为日期文字" in problem


def test_a_full_width_mobile_number_is_accepted_as_the_readme_says(engine: sa.Engine) -> None:
    world = World(engine)
    text = _one(lambda r: r["applicant"].update(phone="＋８６ １３８００００１４５６"))
    import_applications(engine, text, "a.json", "clerk", IMPORTED_ON)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT phone FROM applicant")).scalar() == "13800001456"
    assert world.count("application_case") == 1


def test_a_campaign_code_outside_the_safe_alphabet_is_refused_naming_the_key() -> None:
    for code in ("x" * 200, "../etc", "年度2025"):
        with pytest.raises(NoticeError, match="campaign.code"):
            parse_notice_text(NOTICE_TEXT.replace('code = "luntai-2024"', f'code = "{code}"', 1), "n.toml")


def test_a_window_time_with_an_offset_is_refused_naming_the_key() -> None:
    text = NOTICE_TEXT.replace("2024-09-27T10:00:00", "2024-09-27T10:00:00+14:00", 1)
    assert text != NOTICE_TEXT
    with pytest.raises(NoticeError, match=r"windows\.personal\.opens"):
        parse_notice_text(text, "n.toml")


def test_a_document_s_name_made_from_data_cannot_leave_its_folder() -> None:
    assert file_name("公示-U/../x") == "公示-U_.._x"
    assert file_name("../../etc/passwd") == "_.._etc_passwd"
    assert file_name("a\x00b\\c:d") == "a_b_c_d"
