"""Who may apply under a notice: every rule of DOMAIN.md's Eligibility, all reasons at once."""

from __future__ import annotations

from datetime import date

from states.application import Application, Unit
from states.notice import Notice
from states.refusals import Refusal


def full_years(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end``: the anniversary itself completes a year."""
    if end < start:
        return 0
    years = end.year - start.year
    # 29 February starts count their anniversary on 1 March in other years.
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def years_of_work(app: Application, notice: Notice) -> int:
    highest = app.highest_full_time(notice.known_education_levels)
    start = app.work_started_on
    if highest is not None and highest.graduated_on > start:
        start = highest.graduated_on  # work before graduation does not count
    return full_years(start, notice.cutoff)


def assessed_years(app: Application, notice: Notice) -> list[int]:
    """The assessment years the applicant worked in, each of which needs a passing grade."""
    return [y for y in notice.assessment_years if app.worked_in(y)]


def refusals(app: Application, unit: Unit, notice: Notice, banned_years: set[int]) -> list[Refusal]:
    found = _education(app, notice) + _unit(app, unit, notice) + _assessments(app, notice)
    if notice.year in banned_years:
        found.append(Refusal("eligibility.banned", f"因弄虚作假，{notice.year} 年度不得申报", "id_number"))
    return found


def _education(app: Application, notice: Notice) -> list[Refusal]:
    highest = app.highest_full_time(notice.known_education_levels)
    if highest is None:
        return [Refusal("eligibility.full_time", "没有全日制学历，不在本通知范围", "educations")]
    required = notice.years_required.get(highest.level)
    if required is None:
        allowed = "、".join(notice.years_required)
        return [Refusal(
            "eligibility.level",
            f"最高全日制学历为{highest.level}，本通知只适用于{allowed}毕业生",
            "educations",
        )]
    worked = years_of_work(app, notice)
    if worked < required:
        return [Refusal(
            "eligibility.years",
            f"{highest.level}毕业须从事专业技术工作满 {required} 年"
            f"（截至 {notice.cutoff:%Y-%m-%d} 满 {worked} 年）",
            "work_started_on",
        )]
    return []


def _unit(app: Application, unit: Unit, notice: Notice) -> list[Refusal]:
    found = []
    if unit.level not in notice.unit_levels_allowed:
        found.append(Refusal(
            "eligibility.unit_level",
            f"单位层级为{unit.level}，须在县及县以下单位（{'、'.join(notice.unit_levels_allowed)}）工作",
            "unit.level",
        ))
    if unit.type in notice.excluded_unit_types:
        found.append(Refusal("eligibility.unit_type", f"{unit.type}人员不参与初定职", "unit.type"))
    if app.retired:
        found.append(Refusal("eligibility.retired", "离退休人员不参与初定职", "retired"))
    for name, value in (("series", app.series), ("specialty", app.specialty)):
        if value in notice.exam_replaces_evaluation:
            found.append(Refusal(
                "eligibility.exam_replaces_evaluation", f"{value}属国家以考代评专业，不参与初定职", name
            ))
    return found


def _assessments(app: Application, notice: Notice) -> list[Refusal]:
    years = assessed_years(app, notice)
    if not years:
        span = f"{notice.assessment_years[0]}–{notice.assessment_years[-1]}"
        return [Refusal("eligibility.assessment", f"{span} 年间没有工作年度，无年度考核", "assessments")]
    grades = {a.year: a.grade for a in app.assessments}
    found = []
    for year in years:
        grade = grades.get(year)
        if grade is None:
            found.append(Refusal("eligibility.assessment", f"缺少 {year} 年度考核结果", "assessments"))
        elif grade not in notice.assessment_grades_passing:
            found.append(Refusal(
                "eligibility.assessment",
                f"{year} 年度考核为{grade}，须为{'或'.join(notice.assessment_grades_passing)}",
                "assessments",
            ))
    return found
