"""Sample applications and notices shared by the tests."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from states.clock import BEIJING
from workflow.inputs.notices import parse_notice_text

ROOT = Path(__file__).resolve().parents[2]
NOTICE_FILE = ROOT / "config" / "luntai-2024.toml"
NOTICE_TEXT = NOTICE_FILE.read_text(encoding="utf-8")
NOTICE = parse_notice_text(NOTICE_TEXT, str(NOTICE_FILE))
EXAMPLE_FILE = ROOT / "docs" / "examples" / "applications-2024.json"
OPINION = NOTICE.unit_opinion_text
PAPER_ITEMS = frozenset(item.code for item in NOTICE.paper_checklist("工程技术"))
ID_A = "652822199901010018"
ID_B = "65282219980808010X"


def bj(*parts: int) -> datetime:
    """A Beijing-time instant: bj(2024, 10, 30, 18) is 2024-10-30 18:00:00+08:00."""
    return datetime(*parts, tzinfo=BEIJING)  # type: ignore[misc]


def notice_text_for(year: int) -> str:
    """The 2024 notice moved to another year: same rules, every date shifted."""
    shift = year - 2024
    text = re.sub(r"\b(20[12]\d)\b", lambda m: str(int(m.group(1)) + shift), NOTICE_TEXT)
    return text.replace('code = "luntai-2024"', f'code = "luntai-{year}"')


def with_id(record: dict[str, Any], id_number: str, name: str = "测试申报人") -> dict[str, Any]:
    rec = copy.deepcopy(record)
    rec["applicant"]["id_number"] = id_number
    rec["applicant"]["name"] = name
    return rec


def example_records() -> list[dict[str, Any]]:
    return json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))


def engineer() -> dict[str, Any]:
    """An eligible 本科 engineer of a county unit (the example file's first record)."""
    return example_records()[0]


def teacher() -> dict[str, Any]:
    return example_records()[1]


def valid_id(serial: int) -> str:
    """A synthetic, checksum-valid ID number of 轮台县 for person ``serial``."""
    from states.idnumber import check_character

    birth = date(1995, 1, 1).toordinal() + serial // 1000
    first17 = f"652822{date.fromordinal(birth):%Y%m%d}{serial % 1000:03d}"
    return first17 + check_character(first17)
