"""The notice config: validated on load, every mistake named with file and key."""

from __future__ import annotations

import pytest

from states.notice import NoticeError
from tests.support.helpers import NOTICE, NOTICE_TEXT, notice_text_for
from workflow.inputs.notices import parse_notice_text


def problems(text: str) -> list[str]:
    with pytest.raises(NoticeError) as err:
        parse_notice_text(text, "config/broken.toml")
    assert str(err.value).startswith("config/broken.toml: ")
    return err.value.problems


def test_the_2024_notice_holds_the_notices_rules() -> None:
    assert NOTICE.years_required == {"中专": 3, "大专": 2, "本科": 1}
    assert NOTICE.publicity_working_days == 5 and NOTICE.ban_years == 3
    assert NOTICE.contact.name == "唐双" and NOTICE.contact.phone == "0996-4682378"
    assert len(NOTICE.paper_checklist("工程技术")) == 8 and len(NOTICE.paper_checklist("中小学教师")) == 12
    assert [s.key for s in NOTICE.slots if s.provider == "unit"] == ["publicity_notice", "publicity_result"]


def test_a_new_year_needs_only_a_new_file() -> None:
    notice = parse_notice_text(notice_text_for(2025), "config/luntai-2025.toml")
    assert notice.code == "luntai-2025" and notice.personal.closes.year == 2025


def test_each_mistake_names_its_key() -> None:
    text = (NOTICE_TEXT.replace("ban_years = 3", 'ban_years = "three"')
            .replace("closes = 2024-10-30T18:00:00", "closes = 2024-09-01T18:00:00")
            .replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Beijing"')
            .replace("working_days = 5", "workdays = 5"))
    found = problems(text)
    assert "fraud.ban_years: expected a whole number, got 'three'" in found
    assert any(p.startswith("windows.personal: closes") for p in found)
    assert "campaign.timezone: unknown time zone 'Asia/Beijing'" in found
    assert "publicity.working_days: missing" in found
    assert "publicity.workdays: unknown key (misspelt?)" in found


def test_not_toml_at_all() -> None:
    assert problems("[campaign\n")[0].startswith("not valid TOML")


def test_dates_are_named_as_the_file_writes_them() -> None:
    found = problems(NOTICE_TEXT.replace("cutoff = 2024-10-30", "cutoff = 2024-10-30T10:00:00")
                     .replace("ban_years = 3", "ban_years = 300"))
    assert "eligibility.cutoff: expected a date without a time, got 2024-10-30 10:00:00" in found
    assert "fraud.ban_years: must be at most 10, got 300" in found


def test_a_slot_table_that_contradicts_itself_is_refused_naming_the_key() -> None:
    text = NOTICE_TEXT.replace('alternative_to = "chsi_record"', 'alternative_to = "photo"')
    text = text.replace('key = "degree"', 'key = "diploma"')
    with pytest.raises(NoticeError) as err:
        parse_notice_text(text, "bad.toml")
    assert "materials.slots.archive_proof.alternative_to" in str(err.value)
    assert "key diploma appears twice" in str(err.value)
    with pytest.raises(NoticeError) as err:
        parse_notice_text(NOTICE_TEXT.replace('each = "ce_year"', 'each = "ce_years"'), "bad.toml")
    assert "ce_years" in str(err.value)
