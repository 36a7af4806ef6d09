"""The import format: one application record, checked field by field.

pydantic checks shapes and types (strictly: ``"3"`` is not a number of hours);
``notice_problems`` then checks what needs the campaign's notice (known education
levels and grades, file codes). Every problem names its field.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationInfo,
    field_validator,
)

from notifications.addresses import canonical_email, canonical_mobile
from states import application as domain
from states.materials import named_by_import
from states.notice import Notice
from states.text import control_character
from workflow.inputs.fields import canonical_id_number, safe_code

# Bounds every engine can store and every person could have: SQLite would keep a
# longer text than PostgreSQL's column takes, so the schema refuses it for both.
FIRST_DAY, LAST_DAY = date(1940, 1, 1), date(2100, 12, 31)


def _day(value: Any) -> Any:
    """A date as the import format writes it (``2024-07-01``) or a date already: never a
    number (a Unix time, an Excel serial) nor a date with a time of day."""
    if type(value) is date:
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value.strip()} 不是真实的日期") from None
    raise ValueError("须为日期文字，如 2024-07-01")


# A day, strictly (see _day).
Day = Annotated[date, BeforeValidator(_day)]


def _Year() -> Any:  # noqa: N802 - reads as a type
    return Field(ge=FIRST_DAY.year, le=LAST_DAY.year)


def _Hours() -> Any:  # noqa: N802 - reads as a type
    return Field(ge=0, le=10_000, allow_inf_nan=False)


MULTILINE = {"work_summary", "commitment_text"}


def _Text(max_length: int, min_length: int = 0, default: Any = ...) -> Any:  # noqa: N802
    return Field(default, min_length=min_length, max_length=max_length)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        texts = value.values() if isinstance(value, dict) else [value]
        for text in texts:
            if isinstance(text, str):
                found = control_character(text, multiline=info.field_name in MULTILINE)
                if found:
                    raise ValueError(f"不能含控制字符或不可见的格式字符（{found}）")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _plausible_dates(cls, value: Any) -> Any:
        if isinstance(value, date) and not FIRST_DAY <= value <= LAST_DAY:
            raise ValueError(f"日期 {value} 不在 {FIRST_DAY.year}–{LAST_DAY.year} 年之间")
        return value


class _Contact(_Strict):
    """Optional e-mail and mobile number, kept in their canonical forms."""

    phone: StrictStr | None = _Text(40, default=None)
    email: StrictStr | None = _Text(254, default=None)

    @field_validator("phone")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return canonical_mobile(value) if value else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return canonical_email(value) if value else None


class ApplicantRecord(_Contact):
    id_number: StrictStr = _Text(40)
    name: StrictStr = _Text(100, 1)
    retired: StrictBool = False

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return canonical_id_number(value)  # one person, however the digits were typed


class UnitRecord(_Contact):
    code: Annotated[StrictStr, AfterValidator(safe_code)] = _Text(64, 1)
    name: StrictStr = _Text(200, 1)
    level: StrictStr = _Text(32)
    type: StrictStr = _Text(64)


class EducationRecord(_Strict):
    level: StrictStr = _Text(32)
    full_time: StrictBool
    school: StrictStr = _Text(200)
    major: StrictStr = _Text(200)
    graduated_on: Day
    diploma: StrictStr | None = _Text(500, default=None)
    chsi_record: StrictStr | None = _Text(500, default=None)
    chsi_record_date: Day | None = None
    archive_proof: StrictStr | None = _Text(500, default=None)


class AssessmentRecord(_Strict):
    year: int = _Year()
    grade: StrictStr = _Text(32)
    form: StrictStr | None = _Text(500, default=None)


class ContinuingEducationRecord(_Strict):
    year: int = _Year()
    public_hours: float = _Hours()
    professional_hours: float = _Hours()
    certificate: StrictStr | None = _Text(500, default=None)


class ApplicationRecord(_Strict):
    campaign: StrictStr | None = _Text(64, default=None)
    applicant: ApplicantRecord
    unit: UnitRecord
    series: StrictStr = _Text(64)
    specialty: StrictStr = _Text(200)
    work_started_on: Day
    educations: list[EducationRecord] = Field(min_length=1, max_length=20)
    assessments: list[AssessmentRecord] = Field(default=[], max_length=60)
    continuing_education: list[ContinuingEducationRecord] = Field(default=[], max_length=60)
    teacher_credit_certificate: StrictStr | None = _Text(500, default=None)
    ce_exemption: StrictStr | None = _Text(500, default=None)
    work_summary: StrictStr = _Text(20_000, default="")
    commitment_text: StrictStr = _Text(5_000, default="")
    materials: dict[StrictStr, StrictStr] = Field(default={}, max_length=50)

    def to_domain(self) -> domain.Application:
        return domain.Application(
            id_number=self.applicant.id_number,
            name=self.applicant.name,
            series=self.series,
            specialty=self.specialty,
            work_started_on=self.work_started_on,
            educations=tuple(domain.Education(**e.model_dump()) for e in self.educations),
            assessments=tuple(domain.Assessment(**a.model_dump()) for a in self.assessments),
            continuing_education=tuple(
                domain.ContinuingEducation(**c.model_dump()) for c in self.continuing_education
            ),
            retired=self.applicant.retired,
            teacher_credit_certificate=self.teacher_credit_certificate,
            ce_exemption=self.ce_exemption,
            work_summary=self.work_summary,
            commitment_text=self.commitment_text,
        )

    def references(self) -> list[tuple[str, str, str]]:
        """Each file the record names: (the case's place it fills, the record's field, the
        name). A place is the notice's slot key, with the education's number or the year."""
        found = [(code, f"materials.{code}", ref) for code, ref in self.materials.items()]
        for i, e in enumerate(self.educations):
            found += [(f"{key}-{i + 1}", f"educations[{i}].{key}", ref)
                      for key, ref in (("diploma", e.diploma), ("chsi_record", e.chsi_record),
                                       ("archive_proof", e.archive_proof)) if ref]
        found += [(f"assessment-{a.year}", f"assessments[{j}].form", a.form)
                  for j, a in enumerate(self.assessments) if a.form]
        found += [(f"ce_certificate-{c.year}", f"continuing_education[{k}].certificate", c.certificate)
                  for k, c in enumerate(self.continuing_education) if c.certificate]
        found += [(key, field, ref) for key, field, ref in (
            ("teacher_credit", "teacher_credit_certificate", self.teacher_credit_certificate),
            ("ce_exemption", "ce_exemption", self.ce_exemption)) if ref]
        return found


def notice_problems(record: ApplicationRecord, notice: Notice) -> list[tuple[str, str]]:
    """(field, problem) for what only the notice can tell; empty when all is well."""
    found = raw_notice_problems(record.model_dump(), notice)
    highest = record.to_domain().highest_full_time(notice.known_education_levels)
    if highest is not None and record.work_started_on < highest.graduated_on:
        found.append((
            "work_started_on",
            f"参加工作时间 {record.work_started_on} 早于最高全日制学历毕业时间 {highest.graduated_on}",
        ))
    return found


# The youngest a person may start work (China's Labour Law, article 15).
WORKING_AGE = 16


def time_problems(record: ApplicationRecord, today: date) -> list[tuple[str, str]]:
    """(field, problem) for dates that cannot be true on ``today`` (the import's own day,
    Beijing time): a day still to come, or work started before the age of 16."""
    from stdnum.cn import ric

    found = []
    dated: list[tuple[str, date | None]] = [("work_started_on", record.work_started_on)]
    for i, edu in enumerate(record.educations):
        dated += [(f"educations[{i}].graduated_on", edu.graduated_on),
                  (f"educations[{i}].chsi_record_date", edu.chsi_record_date)]
    found += [(field, f"{day} 晚于今天（{today}）") for field, day in dated if day is not None and day > today]
    born = ric.get_birth_date(record.applicant.id_number)
    if born > today:
        found.append(("applicant.id_number", f"身份证号中的出生日期 {born} 晚于今天（{today}）"))
    elif record.work_started_on < _birthday(born, WORKING_AGE):
        found.append(("work_started_on", f"参加工作时间 {record.work_started_on} 时未满 {WORKING_AGE} 周岁"
                                         f"（身份证号中的出生日期 {born}）"))
    return found


def _birthday(born: date, age: int) -> date:
    """The day one turns ``age`` (born on 29 February: 1 March in a common year)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return date(born.year + age, 3, 1)


def _items(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def raw_notice_problems(data: dict[str, Any], notice: Notice) -> list[tuple[str, str]]:
    """The notice's checks on a record as read, whether or not the rest of it is well formed:
    so that one run reports every problem of a record."""
    found: list[tuple[str, str]] = []
    known = "、".join(notice.known_education_levels)
    for i, edu in enumerate(_items(data, "educations")):
        level = edu.get("level") if isinstance(edu, dict) else None
        if isinstance(level, str) and level not in notice.known_education_levels:
            found.append((f"educations[{i}].level", f"未知的学历层次 {level!r}（可用：{known}）"))
    for i, a in enumerate(_items(data, "assessments")):
        grade = a.get("grade") if isinstance(a, dict) else None
        if isinstance(grade, str) and grade not in notice.known_assessment_grades:
            found.append((f"assessments[{i}].grade", f"未知的考核等次 {grade!r}"))
    unit = data.get("unit")
    level = unit.get("level") if isinstance(unit, dict) else None
    if isinstance(level, str) and level not in notice.known_unit_levels:
        known = "、".join(notice.known_unit_levels)
        found.append(("unit.level", f"未知的单位层级 {level!r}（可用：{known}）"))
    codes = {slot.key for slot in named_by_import(notice)}
    materials = data.get("materials")
    found += [
        (f"materials.{code}", f"未知的材料项目（可用：{', '.join(sorted(codes))}）")
        for code in (materials if isinstance(materials, dict) else {})
        if code not in codes
    ]
    return found
