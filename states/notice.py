"""A campaign's notice as data: windows, rules, lists and texts, validated on load.

``parse_notice`` takes the mapping read from a config file (``workflow`` does the
reading) and returns a frozen ``Notice``, or raises ``NoticeError`` listing every
mistake with the file, the key and what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from states.refusals import Refusal

WINDOW_KEYS = ("personal", "review", "paper")


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


class _Reader:
    """Reads typed values by dotted key, collecting every mistake instead of stopping."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.problems: list[str] = []
        self.read: set[str] = set()

    def raw(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                self.problems.append(f"{key}: missing")
                return None
            node = node[part]
        self.read.add(key)
        return node

    def typed(self, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
        value = self.raw(key)
        if value is None:
            return None
        # bool is an int in Python but never a number in a notice.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.problems.append(f"{key}: expected {expected}, got {value!r}")
            return None
        return value

    def text(self, key: str) -> str:
        value = self.typed(key, str, "text")
        if value is not None and not value.strip():
            self.problems.append(f"{key}: must not be empty")
        return value or ""

    def count(self, key: str, minimum: int = 0, maximum: int = 10_000) -> int:
        """A whole number within bounds any real notice keeps to (an absurd one is a typo)."""
        value = self.typed(key, int, "a whole number")
        if value is not None and value < minimum:
            self.problems.append(f"{key}: must be at least {minimum}, got {value}")
        if value is not None and value > maximum:
            self.problems.append(f"{key}: must be at most {maximum}, got {value}")
            return 0
        return value or 0

    def day(self, key: str) -> date:
        value = self.typed(key, date, "a date such as 2024-10-30")
        if isinstance(value, datetime):
            self.problems.append(f"{key}: expected a date without a time, got {value}")
        return value or date.min

    def texts(self, key: str, allow_empty: bool = False) -> tuple[str, ...]:
        value = self.typed(key, list, "a list of texts")
        if value is None:
            return ()
        if not value and not allow_empty:
            self.problems.append(f"{key}: must not be empty")
        bad = [v for v in value if not isinstance(v, str) or not v.strip()]
        if bad:
            self.problems.append(f"{key}: every entry must be non-empty text, got {bad!r}")
        return tuple(v for v in value if isinstance(v, str))

    def years(self, key: str) -> tuple[int, ...]:
        value = self.typed(key, list, "a list of years")
        if value is None:
            return ()
        if not value or any(not isinstance(v, int) or isinstance(v, bool) for v in value):
            self.problems.append(f"{key}: expected a non-empty list of years, got {value!r}")
            return ()
        return tuple(value)

    def days(self, key: str) -> frozenset[date]:
        value = self.typed(key, list, "a list of dates")
        if value is None:
            return frozenset()
        bad = [v for v in value if not isinstance(v, date) or isinstance(v, datetime)]
        if bad:
            self.problems.append(f"{key}: every entry must be a date such as 2024-10-01, got {bad!r}")
        return frozenset(v for v in value if v not in bad)

    def unread(self) -> list[str]:
        """Keys present in the file that no rule reads: most often a typo."""
        found: list[str] = []

        def walk(node: Any, prefix: str) -> None:
            if prefix in self.read:
                return
            if isinstance(node, dict):
                for name, child in node.items():
                    walk(child, f"{prefix}.{name}" if prefix else name)
            else:
                found.append(prefix)

        walk(self.data, "")
        return found


def _window(r: _Reader, key: str, zone: ZoneInfo | None) -> Window:
    name = r.text(f"windows.{key}.name")
    bounds = []
    for edge in ("opens", "closes"):
        value = r.typed(f"windows.{key}.{edge}", datetime, "a date and time such as 2024-09-27T10:00:00")
        if value is not None and zone is not None:
            value = value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
        bounds.append(value)
    opens, closes = bounds
    if opens is not None and closes is not None and closes <= opens:
        r.problems.append(f"windows.{key}: closes ({closes}) must be after opens ({opens})")
    return Window(key, name, opens or datetime.min, closes or datetime.min)


def _materials(r: _Reader, key: str) -> tuple[MaterialItem, ...]:
    value = r.typed(key, list, "a list of [[...]] tables with code and name")
    items = []
    for i, entry in enumerate(value or []):
        if not isinstance(entry, dict) or set(entry) != {"code", "name"}:
            r.problems.append(f"{key}[{i}]: expected exactly code and name, got {entry!r}")
            continue
        items.append(MaterialItem(str(entry["code"]), str(entry["name"])))
    codes = [item.code for item in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        r.problems.append(f"{key}: codes appear twice: {', '.join(duplicates)}")
    return tuple(items)


def _calendar(r: _Reader) -> CalendarRules:
    full_years: dict[int, FullYear] = {}
    table = r.data.get("calendar", {})
    if not isinstance(table, dict):
        r.problems.append(f"calendar: expected a table, got {table!r}")
        r.read.add("calendar")
        return CalendarRules(frozenset(), frozenset(), {})
    listed = table.get("full_years", {})
    if not isinstance(listed, dict):
        r.problems.append("calendar.full_years: expected tables named by year")
        listed = {}
    for year_text in listed:
        prefix = f"calendar.full_years.{year_text}"
        if not str(year_text).isdigit():
            r.problems.append(f"{prefix}: the table name must be a year such as \"2027\"")
            continue
        year = int(year_text)
        days_off, working = r.days(f"{prefix}.days_off"), r.days(f"{prefix}.working_days")
        stray = sorted(d for d in days_off | working if d.year != year)
        if stray:
            r.problems.append(f"{prefix}: dates outside {year}: {stray}")
        full_years[year] = FullYear(days_off, working)
    return CalendarRules(
        r.days("calendar.extra_days_off"), r.days("calendar.extra_working_days"), full_years
    )


def _zone(r: _Reader) -> ZoneInfo | None:
    name = r.text("campaign.timezone")
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        r.problems.append(f"campaign.timezone: unknown time zone {name!r}")
        return None


def parse_notice(data: dict[str, Any], source: str) -> Notice:
    """Validate a notice mapping and build the ``Notice``; ``source`` names the file."""
    r = _Reader(data)
    zone = _zone(r)
    years_required = r.typed("eligibility.years_required", dict, "a table of level = years") or {}
    for level, years in years_required.items():
        if not isinstance(years, int) or isinstance(years, bool) or not 0 <= years <= 20:
            r.problems.append(f"eligibility.years_required.{level}: expected whole years from 0 to 20, got {years!r}")
    notice = Notice(
        source=source,
        code=r.text("campaign.code"),
        year=r.count("campaign.year", minimum=2000, maximum=2100),
        title=r.text("campaign.title"),
        issuer=r.text("campaign.issuer"),
        timezone=zone or ZoneInfo("UTC"),
        windows={key: _window(r, key, zone) for key in WINDOW_KEYS},
        known_education_levels=r.texts("eligibility.known_education_levels"),
        years_required=dict(years_required),
        cutoff=r.day("eligibility.cutoff"),
        unit_levels_allowed=r.texts("eligibility.unit_levels_allowed"),
        known_unit_levels=r.texts("eligibility.known_unit_levels"),
        excluded_unit_types=r.texts("eligibility.excluded_unit_types", allow_empty=True),
        exam_replaces_evaluation=r.texts("eligibility.exam_replaces_evaluation", allow_empty=True),
        assessment_years=r.years("eligibility.assessment_years"),
        assessment_grades_passing=r.texts("eligibility.assessment_grades_passing"),
        known_assessment_grades=r.texts("eligibility.known_assessment_grades"),
        ce_years=r.years("continuing_education.years"),
        ce_public_hours=r.count("continuing_education.public_hours_per_year", maximum=1000),
        ce_professional_hours=r.count("continuing_education.professional_hours_per_year", maximum=1000),
        teacher_series=r.texts("teachers.series", allow_empty=True),
        summary_min_chars=r.count("work_summary.min_chars", maximum=20_000),
        summary_max_chars=r.count("work_summary.max_chars", minimum=1, maximum=20_000),
        commitment_text=r.text("texts.commitment"),
        unit_opinion_text=r.text("texts.unit_opinion"),
        publicity_working_days=r.count("publicity.working_days", minimum=1, maximum=30),
        publicity_start_day_counts=bool(r.typed("publicity.start_day_counts", bool, "true or false")),
        ban_years=r.count("fraud.ban_years", minimum=1, maximum=10),
        remind_personal_days_before=r.count("reminders.personal_closing_days_before", maximum=60),
        remind_review_working_days_before=r.count("reminders.review_closing_working_days_before",
                                                  minimum=1, maximum=30),
        online_materials=_materials(r, "materials.online"),
        paper_materials=_materials(r, "materials.paper"),
        paper_materials_teachers=_materials(r, "materials.paper_teachers"),
        calendar=_calendar(r),
        contact=Contact(r.text("contact.name"), r.text("contact.phone"), r.text("contact.office"),
                        r.text("contact.paper_address"), r.text("contact.paper_hours")),
        remedies_text=r.text("texts.remedies"),
        show_objection_text=bool(r.typed("publicity.show_objection_text", bool, "true or false")),
        record_max_age_months=r.count("paper.record_max_age_months", minimum=1, maximum=24),
    )
    _cross_checks(r, notice)
    r.read.add("calendar.full_years")
    r.problems.extend(f"{key}: unknown key (misspelt?)" for key in r.unread())
    if r.problems:
        raise NoticeError(source, r.problems)
    return notice


def _window_order(r: _Reader, n: Notice) -> None:
    """The application comes before its review, the review before the paper file."""
    if any(w.opens == datetime.min or w.closes == datetime.min for w in n.windows.values()):
        return  # already reported
    p, v, f = n.personal, n.review, n.paper
    for later, earlier, edge in ((v, p, "opens"), (f, v, "opens"), (v, p, "closes"), (f, p, "closes")):
        if getattr(later, edge) < getattr(earlier, edge):
            r.problems.append(f"windows.{later.key}.{edge}: before windows.{earlier.key}.{edge}"
                              f" ({getattr(later, edge)} < {getattr(earlier, edge)})")


def _cross_checks(r: _Reader, n: Notice) -> None:
    for level in n.years_required:
        if level not in n.known_education_levels:
            r.problems.append(f"eligibility.years_required.{level}: not in known_education_levels")
    for level in n.unit_levels_allowed:
        if level not in n.known_unit_levels:
            r.problems.append(f"eligibility.unit_levels_allowed: {level} not in known_unit_levels")
    for grade in n.assessment_grades_passing:
        if grade not in n.known_assessment_grades:
            r.problems.append(f"eligibility.assessment_grades_passing: {grade} not in known_assessment_grades")
    if n.summary_min_chars > n.summary_max_chars:
        r.problems.append("work_summary: min_chars is greater than max_chars")
    _window_order(r, n)
    if n.year and n.personal.opens != datetime.min and n.personal.opens.year != n.year:
        r.problems.append(f"windows.personal.opens: not in the campaign year {n.year}")
