"""The applicant's file by the notice's slot table: the slots a case needs (once per
education, per year…), what is missing at submission or before the unit closes its
publicity, and the paper checklist needed to receive the file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from states.application import Application
from states.eligibility import assessed_years
from states.notice import Notice, Slot
from states.refusals import Refusal


def summary_length(text: str) -> int:
    """Characters other than whitespace (our reading of 字数)."""
    return sum(1 for ch in text if not ch.isspace())


@dataclass(frozen=True)
class Place:
    """A slot as one case needs it: ``diploma-2`` is the diploma of the second education."""

    key: str
    slot: Slot
    label: str  # the slot's name with what it is for (本科 新疆大学, 2023 年)

    @property
    def needed(self) -> bool:
        return self.slot.online and self.slot.required and not self.slot.alternative_to


def places(app: Application, notice: Notice, provider: str | None = None) -> list[Place]:
    """Every online slot that applies to ``app``'s case, once per education, year…, in the
    notice's order (``provider`` keeps one provider's)."""
    teacher, exempt = app.series in notice.teacher_series, bool(app.ce_exemption)
    found = []
    for slot in notice.slots:
        if not slot.online or not slot.applies(teacher, exempt) or provider not in (None, slot.provider):
            continue
        if slot.each == "education":
            found += [Place(f"{slot.key}-{i}", slot, f"{slot.name}（{e.level} {e.school}）")
                      for i, e in enumerate(app.educations, start=1)]
        elif slot.each in ("assessment_year", "ce_year"):
            years = assessed_years(app, notice) if slot.each == "assessment_year" else ce_years(app, notice)
            found += [Place(f"{slot.key}-{y}", slot, f"{y} 年{slot.name}") for y in years]
        else:
            found.append(Place(slot.key, slot, slot.name))
    return found


def named_by_import(notice: Notice) -> list[Slot]:
    """The slots every applicant gives once, for which an import may name a file."""
    return [s for s in notice.slots if s.online and s.required and s.each == "case" and not s.when
            and s.provider == "applicant"]


def ce_years(app: Application, notice: Notice) -> list[int]:
    return [y for y in notice.ce_years if app.worked_in(y)]


def missing_files(app: Application, pages: Mapping[str, int], notice: Notice,
                  provider: str = "applicant") -> list[Refusal]:
    """Each needed slot with no file (where an alternative is allowed, with neither), or
    with fewer pages than it needs; ``pages`` is what the case holds, by place."""
    placed = places(app, notice, provider)
    found = []
    for place in placed:
        if not place.needed:
            continue
        suffix = place.key[len(place.slot.key):]
        either = [place] + [p for p in placed if p.slot.alternative_to == place.slot.key
                            and p.key == p.slot.key + suffix]
        held = max(pages.get(p.key, 0) for p in either)
        if held == 0:
            names = "或".join(p.label for p in either)
            found.append(Refusal("materials.missing", f"缺少{names}", f"materials.{place.key}"))
        elif held < place.slot.pages:
            found.append(Refusal("materials.pages", f"{place.label}须至少 {place.slot.pages} 页（正、反面），"
                                 f"现为 {held} 页", f"materials.{place.key}"))
    return found


def online_refusals(app: Application, pages: Mapping[str, int], notice: Notice) -> list[Refusal]:
    """What keeps the applicant's part from being submitted: files, hours, summary, promise."""
    found = missing_files(app, pages, notice) + ce_hours_refusals(app, notice)
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


def ce_hours_refusals(app: Application, notice: Notice) -> list[Refusal]:
    """The hours each worked year's certificate states (its file is a slot's)."""
    if app.ce_exemption or app.series in notice.teacher_series:
        return []
    records = {c.year: c for c in app.continuing_education}
    found = []
    for year in ce_years(app, notice):
        ce = records.get(year)
        if ce is None:
            found.append(Refusal(
                "materials.continuing_education", f"缺少 {year} 年继续教育课时", "continuing_education",
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
