"""What an applicant declared: the facts the eligibility and materials rules read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Education:
    level: str
    full_time: bool
    school: str
    major: str
    graduated_on: date
    diploma: str | None = None
    chsi_record: str | None = None  # 学信网《教育部学历证书电子注册备案表》
    chsi_record_date: date | None = None  # the date printed on that 备案表
    archive_proof: str | None = None  # 学籍档案, where no 学信网 record exists


@dataclass(frozen=True)
class Assessment:
    year: int
    grade: str
    form: str | None = None


@dataclass(frozen=True)
class ContinuingEducation:
    year: int
    public_hours: float
    professional_hours: float
    certificate: str | None = None


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    type: str


@dataclass(frozen=True)
class Application:
    id_number: str
    name: str
    series: str  # 职称系列, e.g. 工程技术, 中小学教师
    specialty: str  # 专业
    work_started_on: date
    educations: tuple[Education, ...]
    assessments: tuple[Assessment, ...] = ()
    continuing_education: tuple[ContinuingEducation, ...] = ()
    retired: bool = False
    teacher_credit_certificate: str | None = None  # 六五周期学分认定合格证书
    ce_exemption: str | None = None  # 继续教育免试审批表
    work_summary: str = ""
    commitment_text: str = ""

    def highest_full_time(self, ranking: tuple[str, ...]) -> Education | None:
        """The highest full-time education by the notice's order of levels."""
        full_time = [e for e in self.educations if e.full_time and e.level in ranking]
        return max(full_time, key=lambda e: ranking.index(e.level), default=None)

    def worked_in(self, year: int) -> bool:
        return self.work_started_on.year <= year
