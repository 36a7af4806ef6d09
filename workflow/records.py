"""The import format: one application record, checked field by field.

pydantic checks shapes and types (strictly: ``"3"`` is not a number of hours);
``notice_problems`` then checks what needs the campaign's notice (known education
levels and grades, file codes). Every problem names its field.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator

from states import application as domain
from states import idnumber
from states.contact import is_email, is_mobile
from states.notice import Notice


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Contact(_Strict):
    """Optional e-mail and mobile number, checked for shape."""

    phone: StrictStr | None = None
    email: StrictStr | None = None

    @field_validator("phone")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        if value is not None and not is_mobile(value.replace(" ", "")):
            raise ValueError("手机号须为 1[3-9] 开头的 11 位数字，可带 +86 或 0086")
        return value.replace(" ", "") if value else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not is_email(value):
            raise ValueError("电子邮箱格式不正确")
        return value


class ApplicantRecord(_Contact):
    id_number: StrictStr
    name: StrictStr = Field(min_length=1)
    retired: StrictBool = False

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        found = idnumber.problems(value)
        if found:
            raise ValueError("居民身份证号码无效：" + "；".join(found))
        return idnumber.normalise(value)


class UnitRecord(_Contact):
    code: StrictStr = Field(min_length=1, max_length=64)
    name: StrictStr = Field(min_length=1)
    level: StrictStr
    type: StrictStr


class EducationRecord(_Strict):
    level: StrictStr
    full_time: StrictBool
    school: StrictStr
    major: StrictStr
    graduated_on: date = Field(strict=False)
    diploma: StrictStr | None = None
    chsi_record: StrictStr | None = None
    archive_proof: StrictStr | None = None


class AssessmentRecord(_Strict):
    year: int
    grade: StrictStr
    form: StrictStr | None = None


class ContinuingEducationRecord(_Strict):
    year: int
    public_hours: float = Field(ge=0)
    professional_hours: float = Field(ge=0)
    certificate: StrictStr | None = None


class ApplicationRecord(_Strict):
    campaign: StrictStr | None = None
    applicant: ApplicantRecord
    unit: UnitRecord
    series: StrictStr
    specialty: StrictStr
    work_started_on: date = Field(strict=False)
    educations: list[EducationRecord] = Field(min_length=1)
    assessments: list[AssessmentRecord] = []
    continuing_education: list[ContinuingEducationRecord] = []
    teacher_credit_certificate: StrictStr | None = None
    ce_exemption: StrictStr | None = None
    work_summary: StrictStr = ""
    commitment_text: StrictStr = ""
    materials: dict[str, StrictStr] = {}

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
            materials=dict(self.materials),
        )


def notice_problems(record: ApplicationRecord, notice: Notice) -> list[tuple[str, str]]:
    """(field, problem) for what only the notice can tell; empty when all is well."""
    found: list[tuple[str, str]] = []
    for i, edu in enumerate(record.educations):
        if edu.level not in notice.known_education_levels:
            known = "、".join(notice.known_education_levels)
            found.append((f"educations[{i}].level", f"未知的学历层次 {edu.level!r}（可用：{known}）"))
    highest = record.to_domain().highest_full_time(notice.known_education_levels)
    if highest is not None and record.work_started_on < highest.graduated_on:
        found.append((
            "work_started_on",
            f"参加工作时间 {record.work_started_on} 早于最高全日制学历毕业时间 {highest.graduated_on}",
        ))
    for i, a in enumerate(record.assessments):
        if a.grade not in notice.known_assessment_grades:
            found.append((f"assessments[{i}].grade", f"未知的考核等次 {a.grade!r}"))
    if record.unit.level not in notice.known_unit_levels:
        known = "、".join(notice.known_unit_levels)
        found.append(("unit.level", f"未知的单位层级 {record.unit.level!r}（可用：{known}）"))
    codes = {item.code for item in notice.online_materials}
    found += [
        (f"materials.{code}", f"未知的材料项目（可用：{', '.join(sorted(codes))}）")
        for code in record.materials
        if code not in codes
    ]
    return found


def application_json(app: domain.Application) -> str:
    """The declared facts stored on the case; files live in the material table."""
    data = asdict(app)
    data.pop("materials")
    return json.dumps(data, ensure_ascii=False, default=str)


def application_from_json(text: str, materials: dict[str, str]) -> domain.Application:
    data: dict[str, Any] = json.loads(text)
    return domain.Application(
        id_number=data["id_number"],
        name=data["name"],
        series=data["series"],
        specialty=data["specialty"],
        work_started_on=date.fromisoformat(data["work_started_on"]),
        educations=tuple(
            domain.Education(**{**e, "graduated_on": date.fromisoformat(e["graduated_on"])})
            for e in data["educations"]
        ),
        assessments=tuple(domain.Assessment(**a) for a in data["assessments"]),
        continuing_education=tuple(
            domain.ContinuingEducation(**c) for c in data["continuing_education"]
        ),
        retired=data["retired"],
        teacher_credit_certificate=data["teacher_credit_certificate"],
        ce_exemption=data["ce_exemption"],
        work_summary=data["work_summary"],
        commitment_text=data["commitment_text"],
        materials=materials,
    )
