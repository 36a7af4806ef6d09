"""A campaign's notice as data: windows, rules, lists and texts.

``workflow.inputs.notices`` reads a config file into a frozen ``Notice``; the domain adds what
only it can judge, ``consistency_problems``. A ``NoticeError`` lists every mistake with
the file, the key and what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from states.refusals import Refusal


@dataclass(frozen=True)
class Window:
    """A closed interval to the second, ``[opens, closes]``."""

    key: str
    name: str
    opens: datetime
    closes: datetime

    def contains(self, instant: datetime) -> bool:
        # Closed to the second: 18:00:00.999 is still 18:00:00, 18:00:01 is late.
        second = instant.replace(microsecond=0)
        return self.opens <= second <= self.closes

    def has_closed(self, instant: datetime) -> bool:
        """True from the first late second on (18:00:01 for a window closing at 18:00:00)."""
        return instant.replace(microsecond=0) > self.closes

    @property
    def first_late_second(self) -> datetime:
        return self.closes + timedelta(seconds=1)

    def refusal(self, instant: datetime) -> Refusal | None:
        if self.contains(instant):
            return None
        when = "尚未开始" if instant < self.opens else "已结束"
        span = f"{self.opens:%Y-%m-%d %H:%M:%S} 至 {self.closes:%Y-%m-%d %H:%M:%S}"
        return Refusal(f"window.{self.key}", f"{self.name}时间{when}（{span}，北京时间）")


# The largest file a notice may allow (its ``max_file_mb``): what a reader of a given file
# takes at most, one byte more telling a file over any notice's limit.
LARGEST_FILE_MB = 50


@dataclass(frozen=True)
class UploadLimits:
    """What one upload and one case's files may be (the notice's ``[materials]`` keys)."""

    file_bytes: int = 5 * 1024 * 1024
    case_bytes: int = 60 * 1024 * 1024
    pdf_pages: int = 50
    image_pixels: int = 40_000_000  # a phone's photo has 12–50 million; more is a bomb


@dataclass(frozen=True)
class MaterialItem:
    """An item of the paper checklist: what the county clerk ticks on receipt."""

    code: str
    name: str


# What a slot may hold, by the media type its content shows (``workflow.inputs.scans``).
MEDIA_KINDS = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
# When a slot applies, all of its conditions holding; ``exempt`` is the applicant's
# declared 继续教育免试 (a 免试审批表 instead of certificates).
SLOT_CONDITIONS = ("teachers", "not_teachers", "exempt", "not_exempt")
# A slot is given once per case, or once for each of these (its key then ends -1, -2022…).
SLOT_REPEATS = ("case", "education", "assessment_year", "ce_year")


@dataclass(frozen=True)
class Slot:
    """One kind of file in an applicant's file, from the notice's own table: who gives it,
    when it is needed, what it may be, and the paper checklist item it is handed in under.
    The online rules at submission, the unit's scans before closing its publicity and the
    paper checklist at receipt are all read from these."""

    key: str
    name: str
    provider: str = "applicant"  # or "unit": the 公示 and 公示结果 it posted
    each: str = "case"  # one of SLOT_REPEATS
    when: tuple[str, ...] = ()  # SLOT_CONDITIONS, all to hold; none: always
    alternative_to: str = ""  # the other slot either of which meets the need (备案表 or 档案)
    required: bool = True  # online: needed to submit (the unit's: to close the publicity)
    online: bool = True  # uploaded; False for what exists only on paper (the 评审表)
    kinds: tuple[str, ...] = ("pdf", "jpeg", "png")
    max_bytes: int | None = None  # None: the notice's limit for any file
    pages: int = 1  # the fewest pages the slot's files hold together (2: 正、反面)
    photo: bool = False  # a 一寸 photo: proportions and resolution checked
    paper: str = ""  # the paper checklist item it belongs to ("" for none)
    paper_name: str = ""  # that item's name, given on the first slot naming it

    @property
    def media_types(self) -> frozenset[str]:
        return frozenset(MEDIA_KINDS[k] for k in self.kinds)

    def applies(self, teacher: bool, exempt: bool | None) -> bool:
        """Whether the conditions hold; ``exempt=None`` leaves that part open (the paper
        checklist, which bundles certificates and the exemption form in one item)."""
        facts = {"teachers": teacher, "not_teachers": not teacher}
        if exempt is not None:
            facts.update(exempt=exempt, not_exempt=not exempt)
        return all(facts.get(c, True) for c in self.when)


@dataclass(frozen=True)
class FullYear:
    """A year the statutory calendar package does not know, listed in full."""

    days_off: frozenset[date]
    working_days: frozenset[date]


@dataclass(frozen=True)
class CalendarRules:
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    full_years: dict[int, FullYear] = field(default_factory=dict)


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    office: str
    paper_address: str  # where the paper file is handed in
    paper_hours: str  # when, within the paper window


@dataclass(frozen=True)
class Notice:
    """One year's notice as rules: windows, eligibility, materials, texts and calendar."""

    source: str
    code: str
    year: int
    title: str
    issuer: str
    timezone: ZoneInfo
    windows: dict[str, Window]
    known_education_levels: tuple[str, ...]
    years_required: dict[str, int]
    cutoff: date
    unit_levels_allowed: tuple[str, ...]
    known_unit_levels: tuple[str, ...]
    excluded_unit_types: tuple[str, ...]
    exam_replaces_evaluation: tuple[str, ...]
    assessment_years: tuple[int, ...]
    assessment_grades_passing: tuple[str, ...]
    known_assessment_grades: tuple[str, ...]
    ce_years: tuple[int, ...]
    ce_public_hours: int
    ce_professional_hours: int
    teacher_series: tuple[str, ...]
    summary_min_chars: int
    summary_max_chars: int
    commitment_text: str
    unit_opinion_text: str
    publicity_working_days: int
    publicity_start_day_counts: bool
    ban_years: int
    remind_personal_days_before: int
    remind_review_working_days_before: int
    slots: tuple[Slot, ...]
    calendar: CalendarRules
    contact: Contact
    remedies_text: str  # 行政复议 / 行政诉讼, stated with every adverse decision
    show_objection_text: bool  # whether the applicant reads an objection's own words
    record_max_age_months: int  # the 学信网 备案表 must be this recent at receipt
    # The choices the import workbook offers for 职称系列 and unit type (not rules).
    review_form_item: str = "evaluation_form"  # the paper item that is the 评审表
    series_choices: tuple[str, ...] = ()
    unit_type_choices: tuple[str, ...] = ()
    qualifications: dict[str, dict[str, str]] = field(default_factory=dict)
    upload_limits: UploadLimits = field(default_factory=UploadLimits)

    def qualification(self, series: str, level: str | None) -> str:
        """The qualification a case of this series and education level is confirmed in."""
        return self.qualifications.get(series, {}).get(level or "", "") or f"初级（{series}）"

    @property
    def personal(self) -> Window:
        return self.windows["personal"]

    @property
    def review(self) -> Window:
        return self.windows["review"]

    @property
    def paper(self) -> Window:
        return self.windows["paper"]

    def slot(self, key: str) -> Slot | None:
        return next((s for s in self.slots if s.key == key), None)

    def paper_checklist(self, series: str) -> tuple[MaterialItem, ...]:
        """The paper items, in the notice's order, that any slot of this series falls under."""
        teacher = series in self.teacher_series
        items: dict[str, str] = {}
        for slot in self.slots:
            if slot.paper and slot.applies(teacher, None):
                items.setdefault(slot.paper, self.paper_item_name(slot.paper))
        return tuple(MaterialItem(code, name) for code, name in items.items())

    def paper_item_name(self, code: str) -> str:
        """The item's ``paper_name`` (given on one of its slots), else its first slot's name."""
        under = [s for s in self.slots if s.paper == code]
        return next((s.paper_name for s in under if s.paper_name), under[0].name if under else code)


class NoticeError(ValueError):
    """A notice config with mistakes; ``problems`` holds one line per mistake."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + f"\n{source}: ".join(problems))


def _window_order(problems: list[str], n: Notice) -> None:
    """The application comes before its review, the review before the paper file."""
    p, v, f = n.personal, n.review, n.paper
    for later, earlier, edge in ((v, p, "opens"), (f, v, "opens"), (v, p, "closes"), (f, p, "closes")):
        if getattr(later, edge) < getattr(earlier, edge):
            problems.append(f"windows.{later.key}.{edge}: before windows.{earlier.key}.{edge}"
                              f" ({getattr(later, edge)} < {getattr(earlier, edge)})")


def consistency_problems(n: Notice) -> list[str]:
    """What a well-formed notice still gets wrong: names it does not know, bounds the
    wrong way round, windows out of order. One line per problem, led by its key."""
    problems: list[str] = []
    for level in n.years_required:
        if level not in n.known_education_levels:
            problems.append(f"eligibility.years_required.{level}: not in known_education_levels")
    for level in n.unit_levels_allowed:
        if level not in n.known_unit_levels:
            problems.append(f"eligibility.unit_levels_allowed: {level} not in known_unit_levels")
    for grade in n.assessment_grades_passing:
        if grade not in n.known_assessment_grades:
            problems.append(f"eligibility.assessment_grades_passing: {grade} not in known_assessment_grades")
    if n.summary_min_chars > n.summary_max_chars:
        problems.append("work_summary: min_chars is greater than max_chars")
    _window_order(problems, n)
    _slot_problems(problems, n)
    if n.personal.opens.year != n.year:
        problems.append(f"windows.personal.opens: not in the campaign year {n.year}")
    return problems


def _slot_problems(problems: list[str], n: Notice) -> None:
    """Slot keys once each; an alternative names a slot given as often; the 评审表 is an item."""
    keys = [s.key for s in n.slots]
    problems += [f"materials.slots: key {k} appears twice" for k in sorted({k for k in keys if keys.count(k) > 1})]
    for slot in n.slots:
        other = n.slot(slot.alternative_to) if slot.alternative_to else slot
        if other is None or other.each != slot.each or other.provider != slot.provider:
            problems.append(f"materials.slots.{slot.key}.alternative_to: {slot.alternative_to} is not a slot "
                            "given as often by the same provider")
    if n.review_form_item not in {s.paper for s in n.slots}:
        problems.append(f"paper.review_form_item: {n.review_form_item} is no slot's paper item")
