"""The pure domain: ID numbers, windows, working days, eligibility, materials, bans."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from states import idnumber
from states.application import Assessment, ContinuingEducation, Education, Unit
from states.bans import ban_ends_at, banned_years
from states.calendar import UnknownCalendarYear, WorkingCalendar
from states.eligibility import full_years
from states.eligibility import refusals as eligibility
from states.materials import missing_files, online_refusals, paper_refusals, places
from states.notice import CalendarRules, FullYear
from tests.support.domain import applicant, every_file
from tests.support.helpers import ID_A, ID_B, NOTICE, bj

UNIT = Unit("U1", "轮台县水利管理站", "县级", "事业单位")


def rules(found: list) -> set[str]:
    return {r.rule for r in found}


def fields(found: list) -> set[str]:
    return {r.field for r in found}


# ---- ID numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("number", [ID_A, ID_B, ID_B.lower()])
def test_valid_id_numbers(number: str) -> None:
    assert idnumber.problems(number) == []


def test_id_number_problems_are_each_named() -> None:
    assert "校验位" in idnumber.problems("652822199901010017")[0]
    assert any("出生日期" in p for p in idnumber.problems("652822199902300012"))
    assert "18 位" in idnumber.problems("65282219990101001")[0]


def test_mask_keeps_region_and_last_four() -> None:
    assert idnumber.mask(ID_A) == "652822********0018"


# ---- windows ------------------------------------------------------------------------

def test_personal_window_is_closed_to_the_second() -> None:
    window = NOTICE.personal
    assert window.contains(bj(2024, 10, 30, 18, 0, 0))
    assert not window.contains(bj(2024, 10, 30, 18, 0, 1))
    assert window.contains(bj(2024, 9, 27, 10, 0, 0))
    assert not window.contains(bj(2024, 9, 27, 9, 59, 59))


def test_window_times_are_beijing_not_urumqi() -> None:
    assert NOTICE.personal.closes.utcoffset() == timedelta(hours=8)


# ---- working days -------------------------------------------------------------------

CALENDAR = WorkingCalendar(NOTICE.calendar)


def test_publicity_started_before_national_day_ends_after_october_11() -> None:
    ends = CALENDAR.end_of_nth_working_day(bj(2024, 9, 30, 9), 5)
    assert ends == bj(2024, 10, 12, 0, 0)


def test_publicity_started_october_8_counts_the_working_saturday() -> None:
    assert CALENDAR.is_working_day(date(2024, 10, 12))
    assert CALENDAR.end_of_nth_working_day(bj(2024, 10, 8, 15), 5) == bj(2024, 10, 13)


def test_publicity_started_on_a_holiday_begins_on_the_next_working_day() -> None:
    assert CALENDAR.end_of_nth_working_day(bj(2024, 10, 3, 9), 5) == bj(2024, 10, 13)


def test_config_days_off_move_the_end() -> None:
    calendar = WorkingCalendar(CalendarRules(extra_days_off=frozenset({date(2024, 10, 9)})))
    assert calendar.end_of_nth_working_day(bj(2024, 10, 8, 9), 5) == bj(2024, 10, 15)


def test_unknown_year_names_the_year_and_the_fix() -> None:
    with pytest.raises(UnknownCalendarYear, match="2031.*calendar.full_years"):
        CALENDAR.is_working_day(date(2031, 5, 6))


def test_a_year_listed_in_full_is_known() -> None:
    listed = FullYear(frozenset({date(2031, 1, 1)}), frozenset({date(2031, 1, 4)}))
    calendar = WorkingCalendar(CalendarRules(full_years={2031: listed}))
    assert not calendar.is_working_day(date(2031, 1, 1))
    assert calendar.is_working_day(date(2031, 1, 4))  # a Saturday made a working day
    assert calendar.is_working_day(date(2031, 1, 2))


# ---- eligibility --------------------------------------------------------------------

def test_full_years_count_the_anniversary() -> None:
    assert full_years(date(2023, 10, 30), date(2024, 10, 30)) == 1
    assert full_years(date(2023, 10, 31), date(2024, 10, 30)) == 0


@pytest.mark.parametrize(("level", "years"), [("本科", 1), ("大专", 2), ("中专", 3)])
def test_years_required_on_both_sides_of_the_cutoff(level: str, years: int) -> None:
    graduated = date(2024 - years - 1, 6, 30)
    edu = (Education(level, True, "学校", "专业", graduated, "d", "c"),)
    exact = date(2024 - years, 10, 30)
    graded = tuple(Assessment(y, "合格", "a") for y in (2021, 2022, 2023))
    on_time = applicant(educations=edu, work_started_on=exact, assessments=graded)
    assert eligibility(on_time, UNIT, NOTICE, set()) == []
    late = dataclasses.replace(on_time, work_started_on=exact + timedelta(days=1))
    assert rules(eligibility(late, UNIT, NOTICE, set())) == {"eligibility.years"}


def test_work_before_graduation_does_not_count() -> None:
    edu = (Education("本科", True, "学校", "专业", date(2023, 12, 1), "d", "c"),)
    app = applicant(educations=edu, work_started_on=date(2022, 1, 1))
    assert "eligibility.years" in rules(eligibility(app, UNIT, NOTICE, set()))


def test_master_and_part_time_are_outside_the_notice() -> None:
    master = (Education("硕士研究生", True, "大学", "专业", date(2020, 6, 30), "d", "c"),)
    assert rules(eligibility(applicant(educations=master), UNIT, NOTICE, set())) == {"eligibility.level"}
    part_time = (Education("本科", False, "大学", "专业", date(2020, 6, 30), "d", "c"),)
    assert rules(eligibility(applicant(educations=part_time), UNIT, NOTICE, set())) == {"eligibility.full_time"}


def test_every_unit_and_person_rule_is_reported_at_once() -> None:
    unit = Unit("U2", "某机关", "地州级", "机关")
    app = applicant(retired=True, specialty="会计")
    assert rules(eligibility(app, unit, NOTICE, set())) == {
        "eligibility.unit_level", "eligibility.unit_type", "eligibility.retired",
        "eligibility.exam_replaces_evaluation",
    }


@pytest.mark.parametrize("level", ["县级", "乡镇级", "村级"])
def test_county_and_below_are_allowed(level: str) -> None:
    assert eligibility(applicant(), dataclasses.replace(UNIT, level=level), NOTICE, set()) == []


def test_assessments_for_each_worked_year() -> None:
    weak = applicant(assessments=(Assessment(2022, "基本合格", "a"),))
    found = eligibility(weak, UNIT, NOTICE, set())
    assert [r.message for r in found] == ["2022 年度考核为基本合格，须为优秀或合格", "缺少 2023 年度考核结果"]


def test_banned_years_refuse_only_the_campaign_year() -> None:
    assert rules(eligibility(applicant(), UNIT, NOTICE, {2024})) == {"eligibility.banned"}
    assert eligibility(applicant(), UNIT, NOTICE, {2025, 2026, 2027}) == []


# ---- materials ----------------------------------------------------------------------

@pytest.mark.parametrize(("length", "ok"), [(1999, False), (2000, True), (3000, True), (3001, False)])
def test_work_summary_length_ignores_whitespace(length: int, ok: bool) -> None:
    app = applicant(work_summary=" \n".join("字" * length))
    assert (online_refusals(app, every_file(app), NOTICE) == []) is ok


def test_commitment_text_must_be_exact() -> None:
    app = applicant(commitment_text=NOTICE.commitment_text.replace("3 年", "三年"))
    assert rules(online_refusals(app, every_file(app), NOTICE)) == {"materials.commitment"}


def test_continuing_education_hours_on_both_sides() -> None:
    short = applicant(continuing_education=(
        ContinuingEducation(2023, 29, 60, "c"), ContinuingEducation(2024, 30, 59.5, "c"),
    ))
    assert [r.message for r in online_refusals(short, every_file(short), NOTICE)] == [
        "2023 年公需科目 29 课时，须不少于 30 课时", "2024 年专业科目 59.5 课时，须不少于 60 课时",
    ]


def test_continuing_education_only_for_years_worked_and_exemption_replaces_it() -> None:
    edu = (Education("本科", True, "学校", "专业", date(2023, 6, 30), "d", "c"),)
    newcomer = applicant(educations=edu, work_started_on=date(2024, 1, 2), assessments=(),
                         continuing_education=(ContinuingEducation(2024, 30, 60, "c"),))
    assert [p.key for p in places(newcomer, NOTICE) if p.slot.each != "case"] == [
        "diploma-1", "degree-1", "chsi_record-1", "archive_proof-1", "ce_certificate-2024"]
    assert online_refusals(newcomer, every_file(newcomer), NOTICE) == []
    exempt = applicant(continuing_education=(), ce_exemption="免试.pdf")
    assert "ce_exemption" in every_file(exempt) and "ce_certificate-2023" not in every_file(exempt)
    assert online_refusals(exempt, every_file(exempt), NOTICE) == []
    assert fields(online_refusals(exempt, every_file(applicant()), NOTICE)) == {"materials.ce_exemption"}


def test_teachers_give_the_credit_certificate_instead_of_each_years() -> None:
    teacher = applicant(series="中小学教师", continuing_education=())
    files = every_file(teacher)
    assert "teacher_credit" in files and not any(k.startswith("ce_certificate") for k in files)
    assert online_refusals(teacher, files, NOTICE) == []
    missing = online_refusals(teacher, {k: v for k, v in files.items() if k != "teacher_credit"}, NOTICE)
    assert [r.message for r in missing] == ["缺少六五周期继续教育学分认定合格证书"]
    extras = {p.key for p in places(teacher, NOTICE) if not p.needed}
    assert {"mandarin_certificate", "ethics_statement"} <= extras  # offered, not required online


def test_every_missing_file_is_named_with_what_it_is_for() -> None:
    app = applicant()
    found = online_refusals(app, {}, NOTICE)
    assert fields(found) == {
        "materials.id_scan", "materials.photo", "materials.diploma-1", "materials.chsi_record-1",
        "materials.ce_certificate-2023", "materials.ce_certificate-2024",
        "materials.assessment-2022", "materials.assessment-2023", "materials.commitment_scan",
    }
    either = "缺少学信网《教育部学历证书电子注册备案表》（近三个月内，带二维码）（本科 新疆农业大学）" \
             "或学籍档案等印证资料（学信网无法查询时）（本科 新疆农业大学）"
    assert either in [r.message for r in found]
    assert "缺少2023 年年度考核表（正、反面）" in [r.message for r in found]


def test_an_alternative_meets_the_need_and_two_sided_slots_need_two_pages() -> None:
    app = applicant()
    files = every_file(app)
    del files["chsi_record-1"]
    assert fields(online_refusals(app, files, NOTICE)) == {"materials.chsi_record-1"}
    assert online_refusals(app, {**files, "archive_proof-1": 1}, NOTICE) == []
    one_side = online_refusals(app, {**files, "chsi_record-1": 1, "assessment-2022": 1}, NOTICE)
    assert [r.message for r in one_side] == ["2022 年年度考核表（正、反面）须至少 2 页（正、反面），现为 1 页"]


def test_the_units_scans_are_its_own_and_not_needed_to_submit() -> None:
    app = applicant()
    assert {p.key for p in places(app, NOTICE, "unit")} == {"publicity_notice", "publicity_result"}
    assert fields(missing_files(app, every_file(app, "applicant"), NOTICE, "unit")) == {
        "materials.publicity_notice", "materials.publicity_result"}
    assert missing_files(app, every_file(app), NOTICE, "unit") == []


def test_paper_checklist_names_each_missing_item_and_teachers_extras() -> None:
    everything = {item.code for item in NOTICE.paper_checklist("工程技术")}
    assert paper_refusals("工程技术", everything, NOTICE) == []
    missing = paper_refusals("中小学教师", everything, NOTICE)
    assert [r.message for r in missing] == [
        "纸质材料缺少：普通话等级证书", "纸质材料缺少：教师资格证书",
        "纸质材料缺少：专业考试成绩", "纸质材料缺少：师德师风情况说明",
    ]


# ---- bans ---------------------------------------------------------------------------

def test_fraud_in_2024_bans_2025_to_2027() -> None:
    assert list(banned_years(2024, NOTICE.ban_years)) == [2025, 2026, 2027]
    assert ban_ends_at(2024, NOTICE.ban_years, NOTICE.timezone) == bj(2028, 1, 1)


def test_each_bounded_event_is_refused_one_second_after_its_window_and_its_deadline_is_that_close() -> None:
    from states.machine import deadline, refusals_of
    from states.process import BOUNDED_BY
    from states.status import Status
    from states.values import SERVICE_ACTOR, Case, Command

    unit = Unit("LT-SL-01", "轮台县水利站", "县级", "事业单位")
    case = Case(Status.DRAFTED, applicant(), unit, NOTICE)
    for event, key in BOUNDED_BY.items():
        closes = NOTICE.windows[key].closes
        assert deadline(case, event) == closes
        late = Command(event, SERVICE_ACTOR, closes + timedelta(seconds=1), reason="x")
        assert f"window.{key}" in rules(refusals_of(case, late)), event


def test_an_error_read_off_a_damaged_file_quotes_none_of_its_text() -> None:
    import sqlite3

    from workflow.errors import without_personal_data

    quoted = "艾力\x1b[2J\x9b652822199001011234"
    damaged = sqlite3.OperationalError(f"Could not decode to UTF-8 column 'name' with text '{quoted}'")
    said = without_personal_data(damaged)
    assert said == ("OperationalError: column name holds text that is not UTF-8: the file is damaged"
                    " (run `chuding check`)")
    assert without_personal_data(ValueError("a\x1b[2Jb\nnext")) == "ValueError: a\\x1b[2Jb\nnext"


def test_each_check_says_what_it_found_and_agrees_with_the_guards() -> None:
    from states.checks import checks

    ok = {c.name: c for c in checks(applicant(), UNIT, NOTICE, frozenset())}
    assert all(c.ok for c in ok.values()) and ok["禁止申报"].found == "无"
    late = applicant(work_started_on=date(2023, 1, 2), assessments=(Assessment(2023, "基本合格"),))
    found = {c.name: c for c in checks(late, Unit("U9", "某局", "地州级", "机关"), NOTICE, frozenset({2025, 2026}))}
    assert not found["单位层级"].ok and not found["单位类型"].ok and not found["年度考核"].ok
    assert found["年度考核"].found == "2023 基本合格（须优秀或合格）"
    assert found["工作年限"].ok and found["工作年限"].found.startswith("自 2023-01-02 起")
    assert found["禁止申报"].found == "2025–2026 年不得申报" and found["禁止申报"].ok  # 2024 is not banned
    assert not {c.name for c in checks(late, UNIT, NOTICE, frozenset({2024}))
                if not c.ok} - {"年度考核", "禁止申报"}
