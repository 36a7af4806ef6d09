"""Each eligibility check the engine runs on a case, with what it found: the reviewer sees
why a case passes (or not), not only that it does."""

from __future__ import annotations

from dataclasses import dataclass

from states.application import Application, Unit
from states.eligibility import assessed_years, refusals, years_of_work
from states.materials import ce_hours_refusals, ce_years
from states.notice import Notice


@dataclass(frozen=True)
class Check:
    name: str  # 学历, 工作年限, …
    found: str  # what the engine read and counted
    ok: bool


def checks(app: Application, unit: Unit, notice: Notice, banned_years: frozenset[int]) -> list[Check]:
    """The checks in the order a reviewer reads a file; ``ok`` is the guards' own verdict."""
    failed = {r.rule for r in refusals(app, unit, notice, set(banned_years))}
    failed |= {r.rule for r in ce_hours_refusals(app, notice)}
    highest = app.highest_full_time(notice.known_education_levels)
    required = notice.years_required.get(highest.level) if highest else None
    allowed = "、".join(notice.unit_levels_allowed)
    grades = {a.year: a.grade for a in app.assessments}
    years = assessed_years(app, notice)
    bans = sorted(y for y in banned_years if y >= notice.year)
    return [
        Check("学历", f"最高全日制学历：{highest.level}（{highest.school}，{highest.graduated_on} 毕业）"
              if highest else "没有全日制学历",
              not failed & {"eligibility.full_time", "eligibility.level"}),
        Check("工作年限", f"自 {max(app.work_started_on, highest.graduated_on) if highest else app.work_started_on}"
              f" 起，截至 {notice.cutoff} 满 {years_of_work(app, notice)} 年"
              + (f"；{highest.level}须满 {required} 年" if highest and required else ""),
              "eligibility.years" not in failed and required is not None),
        Check("单位层级", f"{unit.name}：{unit.level}（须为{allowed}）", "eligibility.unit_level" not in failed),
        Check("单位类型", f"{unit.type}（{'、'.join(notice.excluded_unit_types)}人员不参与）",
              "eligibility.unit_type" not in failed),
        Check("以考代评", f"{app.series} / {app.specialty}", "eligibility.exam_replaces_evaluation" not in failed),
        Check("离退休", "是" if app.retired else "否", "eligibility.retired" not in failed),
        Check("年度考核", "；".join(f"{y} {grades.get(y, '缺')}" for y in years)
              + f"（须{'或'.join(notice.assessment_grades_passing)}）" if years else "考核年度内未工作",
              "eligibility.assessment" not in failed),
        Check("继续教育", _continuing_education(app, notice), "materials.continuing_education" not in failed),
        Check("禁止申报", f"{bans[0]}–{bans[-1]} 年不得申报" if bans else "无", "eligibility.banned" not in failed),
    ]


def _continuing_education(app: Application, notice: Notice) -> str:
    if app.ce_exemption:
        return "符合免试（继续教育学习免试审批表）"
    if app.series in notice.teacher_series:
        return "教师：六五周期继续教育学分认定合格证书"
    hours = {c.year: c for c in app.continuing_education}
    said = [f"{y} 公需 {hours[y].public_hours:g} / 专业 {hours[y].professional_hours:g} 课时" if y in hours
            else f"{y} 缺" for y in ce_years(app, notice)]
    return "；".join(said) + f"（每年须公需 {notice.ce_public_hours} / 专业 {notice.ce_professional_hours} 课时）"
