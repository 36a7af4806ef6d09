"""The shape of a notice's config file, as pydantic models over what ``tomllib`` reads.

Strict: a number is never text, ``true`` is never a number, and a key no rule reads is
refused as a likely typo. Bounds are ones any real notice keeps to, so that an absurd
value (a ban of a million years) is caught as the typo it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from states.notice import LARGEST_FILE_MB, MEDIA_KINDS, SLOT_CONDITIONS, SLOT_REPEATS
from workflow.inputs.fields import safe_code


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
Texts = Annotated[list[Text], Field(min_length=1)]
MaybeTexts = list[Text]
Day = date  # strict: a date and time is refused
Years = Annotated[list[int], Field(min_length=1)]


# Whole numbers within bounds any real notice keeps to.
Year = Annotated[int, Field(ge=2000, le=2100)]
Hours = Annotated[int, Field(ge=0, le=1000)]
Characters = Annotated[int, Field(ge=0, le=20_000)]
WorkingDays = Annotated[int, Field(ge=1, le=30)]
Months = Annotated[int, Field(ge=1, le=24)]
DaysBefore = Annotated[int, Field(ge=0, le=60)]
BanYears = Annotated[int, Field(ge=1, le=10)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Campaign(Section):
    code: Annotated[Text, AfterValidator(safe_code)]
    year: Year

    title: Text
    issuer: Text
    timezone: Text

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}") from None
        return name


class WindowFile(Section):
    name: Text
    opens: datetime
    closes: datetime

    @field_validator("opens", "closes")
    @classmethod
    def _local_time(cls, value: datetime) -> datetime:
        # The notice's times are in the campaign's time zone; an offset would mix two
        # kinds of time (and compare with neither).
        if value.tzinfo is not None:
            raise ValueError("须为通知所用时区的当地时刻，不带时区偏移，如 2024-09-27T10:00:00")
        return value

    @model_validator(mode="after")
    def _closes_after_opens(self) -> WindowFile:
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens})")
        return self


class Windows(Section):
    personal: WindowFile
    review: WindowFile
    paper: WindowFile


class Eligibility(Section):
    known_education_levels: Texts
    years_required: dict[str, Annotated[int, Field(ge=0, le=20)]]
    cutoff: Day
    unit_levels_allowed: Texts
    known_unit_levels: Texts
    excluded_unit_types: MaybeTexts
    exam_replaces_evaluation: MaybeTexts
    assessment_years: Years
    assessment_grades_passing: Texts
    known_assessment_grades: Texts
    # What the import workbook offers in its drop-down lists (not checked at import).
    series_choices: MaybeTexts = []
    unit_type_choices: MaybeTexts = []


class ContinuingEducation(Section):
    years: Years
    public_hours_per_year: Hours
    professional_hours_per_year: Hours


class Teachers(Section):
    series: MaybeTexts


class WorkSummary(Section):
    min_chars: Characters
    max_chars: Annotated[int, Field(ge=1, le=20_000)]


class Texts_(Section):  # noqa: N801 (the [texts] table)
    commitment: Text
    unit_opinion: Text
    remedies: Text


class Publicity(Section):
    working_days: WorkingDays
    start_day_counts: bool
    show_objection_text: bool


class Paper(Section):
    review_form_item: Text = "evaluation_form"  # the paper item that is the 评审表, checked by its code
    record_max_age_months: Months


class Reminders(Section):
    personal_closing_days_before: DaysBefore
    review_closing_working_days_before: WorkingDays


class Fraud(Section):
    ban_years: BanYears


def _one_of(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value
    return check


Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")]  # a slot's key: part of an address


class SlotFile(Section):
    """One row of the notice's slot table (``states.notice.Slot`` says what each means)."""

    key: Key
    name: Text
    provider: Literal["applicant", "unit"] = "applicant"
    each: Annotated[str, AfterValidator(_one_of(SLOT_REPEATS))] = "case"
    when: list[Annotated[str, AfterValidator(_one_of(SLOT_CONDITIONS))]] = []
    alternative_to: str = ""
    required: bool = True
    online: bool = True
    kinds: Annotated[list[Annotated[str, AfterValidator(_one_of(tuple(MEDIA_KINDS)))]],
                     Field(min_length=1)] = ["pdf", "jpeg", "png"]
    max_mb: int | None = Field(default=None, ge=1, le=LARGEST_FILE_MB)
    pages: int = Field(default=1, ge=1, le=100)
    photo: bool = False
    paper: Annotated[str, Field(pattern=r"^([a-z][a-z0-9_]{0,40})?$")] = ""
    paper_name: str = ""


class Materials(Section):
    slots: Annotated[list[SlotFile], Field(min_length=1)]
    # Each uploaded file, and all of one case's current files, in megabytes; a PDF's pages.
    max_file_mb: int = Field(default=5, ge=1, le=LARGEST_FILE_MB)
    max_case_mb: int = Field(default=60, ge=1, le=1000)
    max_pdf_pages: int = Field(default=50, ge=1, le=1000)


class FullYearFile(Section):
    days_off: list[Day] = []
    working_days: list[Day] = []


class CalendarFile(Section):
    extra_days_off: list[Day] = []
    extra_working_days: list[Day] = []
    full_years: dict[str, FullYearFile] = {}

    @field_validator("full_years")
    @classmethod
    def _named_by_year(cls, years: dict[str, FullYearFile]) -> dict[str, FullYearFile]:
        for name, listed in years.items():
            if not name.isdigit():
                raise ValueError(f'{name}: the table name must be a year such as "2027"')
            stray = sorted(d for d in [*listed.days_off, *listed.working_days] if d.year != int(name))
            if stray:
                raise ValueError(f"{name}: dates outside {name}: {', '.join(d.isoformat() for d in stray)}")
        return years


class ContactFile(Section):
    name: Text
    phone: Text
    office: Text
    paper_address: Text
    paper_hours: Text


class NoticeFile(Section):
    """The whole file: one table per part of the notice."""

    campaign: Campaign
    windows: Windows
    eligibility: Eligibility
    continuing_education: ContinuingEducation
    teachers: Teachers
    work_summary: WorkSummary
    texts: Texts_
    publicity: Publicity
    paper: Paper
    reminders: Reminders
    fraud: Fraud
    materials: Materials
    calendar: CalendarFile = CalendarFile()
    contact: ContactFile
    # The qualification each series confirms, by education level (the notice says only
    # 初级): series -> level -> name, e.g. 工程技术 -> 本科 -> 助理工程师.
    qualifications: dict[str, dict[str, Text]] = {}
