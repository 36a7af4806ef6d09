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
    code: str
    name: str


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
    online_materials: tuple[MaterialItem, ...]
    paper_materials: tuple[MaterialItem, ...]
    paper_materials_teachers: tuple[MaterialItem, ...]
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

    def paper_checklist(self, series: str) -> tuple[MaterialItem, ...]:
        extras = self.paper_materials_teachers if series in self.teacher_series else ()
        return self.paper_materials + extras


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
    if n.personal.opens.year != n.year:
        problems.append(f"windows.personal.opens: not in the campaign year {n.year}")
    return problems
