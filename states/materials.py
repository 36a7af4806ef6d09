"""Online materials needed to submit, and the paper checklist needed to receive the file."""

from __future__ import annotations

from datetime import date

from states.application import Application
from states.eligibility import assessed_years
from states.notice import Notice
from states.refusals import Refusal


def summary_length(text: str) -> int:
    """Characters other than whitespace (our reading of 字数)."""
    return sum(1 for ch in text if not ch.isspace())


def online_refusals(app: Application, notice: Notice) -> list[Refusal]:
    found = [
        Refusal("materials.missing", f"缺少{item.name}", f"materials.{item.code}")
        for item in notice.online_materials
        if not app.materials.get(item.code)
    ]
    found += _education_files(app)
    found += _continuing_education(app, notice)
    found += [
        Refusal("materials.assessment_form", f"缺少 {year} 年度考核表", "assessments")
        for year in assessed_years(app, notice)
        if not any(a.year == year and a.form for a in app.assessments)
    ]
    length = summary_length(app.work_summary)
    if not notice.summary_min_chars <= length <= notice.summary_max_chars:
        found.append(Refusal(
            "materials.work_summary",
            f"个人工作总结须 {notice.summary_min_chars}–{notice.summary_max_chars} 字，现为 {length} 字",
            "work_summary",
        ))
    if app.commitment_text != notice.commitment_text:
        found.append(Refusal(
            "materials.commitment", "个人承诺书文字与通知规定的原文不一致", "commitment_text"
        ))
    return found


def _education_files(app: Application) -> list[Refusal]:
    found = []
    for i, edu in enumerate(app.educations):
        where = f"educations[{i}]"
        if not edu.diploma:
            found.append(Refusal("materials.diploma", f"缺少{edu.level}毕业证书", f"{where}.diploma"))
        if not (edu.chsi_record or edu.archive_proof):
            found.append(Refusal(
                "materials.chsi_record",
                f"缺少{edu.level}学历的学信网电子注册备案表或学籍档案",
                f"{where}.chsi_record",
            ))
    return found


def _continuing_education(app: Application, notice: Notice) -> list[Refusal]:
    if app.ce_exemption:
        return []
    years = [y for y in notice.ce_years if app.worked_in(y)]
    if app.series in notice.teacher_series:
        if years and not app.teacher_credit_certificate:
            return [Refusal(
                "materials.teacher_credit", "缺少六五周期继续教育学分认定合格证书",
                "teacher_credit_certificate",
            )]
        return []
    records = {c.year: c for c in app.continuing_education}
    found = []
    for year in years:
        ce = records.get(year)
        if ce is None or not ce.certificate:
            found.append(Refusal(
                "materials.continuing_education", f"缺少 {year} 年继续教育合格证书",
                "continuing_education",
            ))
            continue
        if ce.public_hours < notice.ce_public_hours:
            found.append(Refusal(
                "materials.continuing_education",
                f"{year} 年公需科目 {ce.public_hours:g} 课时，须不少于 {notice.ce_public_hours} 课时",
                "continuing_education",
            ))
        if ce.professional_hours < notice.ce_professional_hours:
            found.append(Refusal(
                "materials.continuing_education",
                f"{year} 年专业科目 {ce.professional_hours:g} 课时，"
                f"须不少于 {notice.ce_professional_hours} 课时",
                "continuing_education",
            ))
    return found


def paper_refusals(series: str, received: set[str], notice: Notice) -> list[Refusal]:
    """Every item of the notice's paper list (with teachers' extras) not ticked as received."""
    return [
        Refusal("paper.missing", f"纸质材料缺少：{item.name}", f"items.{item.code}")
        for item in notice.paper_checklist(series)
        if item.code not in received
    ]


def stale_records(app: Application, received_on: date, max_age_months: int) -> list[Refusal]:
    """A 学信网 备案表 dated more than ``max_age_months`` calendar months before the day of
    receipt is refused ("近三个月内"): 2024-07-24 is the oldest accepted on 2024-10-24."""
    oldest = _months_before(received_on, max_age_months)
    return [
        Refusal("paper.record_too_old",
                f"《教育部学历证书电子注册备案表》（{edu.school} {edu.level}）日期 {edu.chsi_record_date}"
                f" 早于 {oldest}，须为近 {max_age_months} 个月内的", f"educations[{i}].chsi_record_date")
        for i, edu in enumerate(app.educations)
        if edu.chsi_record_date is not None and edu.chsi_record_date < oldest
    ]


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, or that month's last day."""
    import calendar

    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def unknown_paper_items(series: str, items: set[str], notice: Notice) -> list[Refusal]:
    known = {item.code for item in notice.paper_checklist(series)}
    return [
        Refusal("paper.unknown_item", f"未知的纸质材料项目 {code!r}（可用：{', '.join(sorted(known))}）", "items")
        for code in sorted(items - known)
    ]
