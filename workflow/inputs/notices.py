"""Reading a notice's config file into the domain's plain ``Notice``.

The file's shape is checked by the pydantic models of ``workflow.inputs.notice_schema``; the
notice's own consistency (levels that are known, windows in order) by the domain.
Every problem is named with the file and the key, all of them at once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # pydantic is imported only when a notice file is read
    from workflow.inputs.notice_schema import Materials, NoticeFile, WindowFile

from states.notice import (
    CalendarRules,
    Contact,
    FullYear,
    Notice,
    NoticeError,
    Slot,
    UploadLimits,
    Window,
    consistency_problems,
)


def read_notice_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except OSError as err:
        raise NoticeError(str(path), [f"cannot be read: {err.strerror}"]) from None
    except UnicodeDecodeError as err:
        raise NoticeError(str(path), [f"not UTF-8 text (byte {err.start}); save it as UTF-8"]) from None


def parse_notice_text(text: str, source: str) -> Notice:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise NoticeError(source, [f"not valid TOML: {err}"]) from None
    return parse_notice(data, source)


# The one notice cache: parsed notices by the SHA-256 of their text, as each campaign
# stores it. A replaced notice has a new hash, so nothing stale is ever served.
_parsed: dict[str, Notice] = {}


def cached_notice(sha: str, read: Callable[[], tuple[str, str]]) -> Notice:
    """The notice whose text hashes to ``sha``; ``read`` gives (text, source) the first time
    only: a command or a sweep runs many events on one notice."""
    if sha not in _parsed:
        text, source = read()
        _parsed[sha] = parse_notice_text(text, source)
    return _parsed[sha]


def parse_notice(data: dict[str, Any], source: str) -> Notice:
    """The ``Notice`` of a mapping read from ``source``, or a NoticeError listing every mistake."""
    from pydantic import ValidationError

    from workflow.inputs.notice_schema import NoticeFile

    try:
        read = NoticeFile.model_validate(data)
    except ValidationError as err:
        raise NoticeError(source, [_problem(e) for e in err.errors()]) from None
    notice = _notice(read, source)
    problems = consistency_problems(notice)
    if problems:
        raise NoticeError(source, problems)
    return notice


# What a value should have been, for pydantic's kinds of type error.
_EXPECTED = {
    "int_type": "a whole number", "string_type": "text", "bool_type": "true or false",
    "list_type": "a list", "dict_type": "a table", "model_type": "a table",
    "date_type": "a date such as 2024-10-30", "datetime_type": "a date and time such as 2024-09-27T10:00:00",
}


def _problem(error: Any) -> str:
    """One line per mistake, in the reader's words: ``key.path: what is wrong``."""
    from workflow.inputs.import_file import field_path

    kind, ctx, given = error["type"], error.get("ctx") or {}, _shown(error.get("input"))
    if kind == "date_type" and isinstance(error.get("input"), datetime):
        kind, ctx = "value_error", {"error": f"expected a date without a time, got {given}"}
    said = {
        "missing": "missing",
        "extra_forbidden": "unknown key (misspelt?)",
        "too_short": "must not be empty",
        "greater_than_equal": f"must be at least {ctx.get('ge')}, got {given}",
        "less_than_equal": f"must be at most {ctx.get('le')}, got {given}",
        "value_error": str(ctx.get("error", error["msg"])),
    }.get(kind) or (f"expected {_EXPECTED[kind]}, got {given}" if kind in _EXPECTED else error["msg"])
    return f"{field_path(error['loc']) or '(file)'}: {said}"


def _shown(value: Any) -> str:
    """A value as the file would write it: dates in ISO form, text quoted."""
    if isinstance(value, date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return repr(value)


def _window(key: str, read: WindowFile, zone: ZoneInfo) -> Window:
    def there(instant: datetime) -> datetime:
        return instant.replace(tzinfo=zone) if instant.tzinfo is None else instant.astimezone(zone)

    return Window(key, read.name, there(read.opens), there(read.closes))


def _slots(m: Materials) -> tuple[Slot, ...]:
    return tuple(Slot(key=s.key, name=s.name, provider=s.provider, each=s.each, when=tuple(s.when),
                      alternative_to=s.alternative_to, required=s.required, online=s.online, kinds=tuple(s.kinds),
                      max_bytes=s.max_mb * MB if s.max_mb else None, pages=s.pages, photo=s.photo,
                      paper=s.paper, paper_name=s.paper_name) for s in m.slots)


def _notice(f: NoticeFile, source: str) -> Notice:
    zone = ZoneInfo(f.campaign.timezone)
    e, ce, cal = f.eligibility, f.continuing_education, f.calendar
    return Notice(
        source=source, code=f.campaign.code, year=f.campaign.year, title=f.campaign.title,
        issuer=f.campaign.issuer, timezone=zone,
        windows={key: _window(key, getattr(f.windows, key), zone) for key in ("personal", "review", "paper")},
        known_education_levels=tuple(e.known_education_levels), years_required=dict(e.years_required),
        cutoff=e.cutoff, unit_levels_allowed=tuple(e.unit_levels_allowed),
        known_unit_levels=tuple(e.known_unit_levels), excluded_unit_types=tuple(e.excluded_unit_types),
        exam_replaces_evaluation=tuple(e.exam_replaces_evaluation), assessment_years=tuple(e.assessment_years),
        assessment_grades_passing=tuple(e.assessment_grades_passing),
        known_assessment_grades=tuple(e.known_assessment_grades),
        ce_years=tuple(ce.years), ce_public_hours=ce.public_hours_per_year,
        ce_professional_hours=ce.professional_hours_per_year, teacher_series=tuple(f.teachers.series),
        summary_min_chars=f.work_summary.min_chars, summary_max_chars=f.work_summary.max_chars,
        commitment_text=f.texts.commitment, unit_opinion_text=f.texts.unit_opinion, remedies_text=f.texts.remedies,
        publicity_working_days=f.publicity.working_days, publicity_start_day_counts=f.publicity.start_day_counts,
        show_objection_text=f.publicity.show_objection_text, ban_years=f.fraud.ban_years,
        remind_personal_days_before=f.reminders.personal_closing_days_before,
        remind_review_working_days_before=f.reminders.review_closing_working_days_before,
        slots=_slots(f.materials),
        calendar=CalendarRules(frozenset(cal.extra_days_off), frozenset(cal.extra_working_days), {
            int(year): FullYear(frozenset(y.days_off), frozenset(y.working_days)) for year, y in cal.full_years.items()
        }),
        contact=Contact(f.contact.name, f.contact.phone, f.contact.office, f.contact.paper_address,
                        f.contact.paper_hours),
        record_max_age_months=f.paper.record_max_age_months,
        review_form_item=f.paper.review_form_item, series_choices=tuple(e.series_choices),
        unit_type_choices=tuple(e.unit_type_choices),
        qualifications={series: dict(levels) for series, levels in f.qualifications.items()},
        upload_limits=UploadLimits(file_bytes=f.materials.max_file_mb * MB, case_bytes=f.materials.max_case_mb * MB,
                                   pdf_pages=f.materials.max_pdf_pages),
    )


MB = 1024 * 1024
