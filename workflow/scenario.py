"""A `simulate --scenario` file, checked before anything runs: every problem named with
the action and the field, in the same words as the import's."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from states.refusals import Refusal, Refused
from states.text import TYPED_TEXT_LIMIT
from states.values import Event

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_NOTICE = SAMPLES / "luntai-2024.toml"
SAMPLE_APPLICATIONS = SAMPLES / "applications-2024.json"


def _instant(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("须为 ISO 8601 时间，如 2024-10-08T10:00:00+08:00") from None
    return value


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    at: StrictStr
    as_: StrictStr = Field(alias="as", min_length=1, max_length=64)
    event: Event
    case: StrictInt = Field(ge=1)
    reason: StrictStr | None = Field(default=None, max_length=TYPED_TEXT_LIMIT)
    opinion: StrictStr | None = Field(default=None, max_length=TYPED_TEXT_LIMIT)
    upheld: StrictBool | None = None
    items: list[StrictStr] | None = Field(default=None, max_length=50)

    _at = field_validator("at")(_instant)


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: StrictStr
    applications: list[dict[str, Any]] = Field(min_length=1, max_length=1000)
    actions: list[Action] = Field(default=[], max_length=10_000)

    _start = field_validator("start")(_instant)


def _where(loc: tuple[Any, ...]) -> str:
    from workflow.inputs.import_file import field_path

    return field_path(loc) or "(file)"


def read_scenario(path: Path) -> dict[str, Any]:
    """The scenario as a plain mapping, or a refusal naming every problem."""
    from workflow.inputs.import_file import said

    try:
        data = json.loads(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
    except OSError as err:
        raise Refused([Refusal("scenario.file", f"{path}: cannot be read: {err.strerror}", "scenario")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise Refused([Refusal("scenario.json", f"{path}: 不是有效的 UTF-8 JSON：{err}", "scenario")]) from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise Refused([Refusal(f"scenario.{e['type']}", f"{_where(e['loc'])}: {said(e)}", _where(e["loc"]))
                       for e in err.errors()]) from None
    people = len(scenario.applications)
    beyond = [Refusal("scenario.case", f"{where}: 只有 {people} 份申请，没有第 {a.case} 份", where)
              for i, a in enumerate(scenario.actions) if a.case > people for where in [f"actions[{i}].case"]]
    if beyond:
        raise Refused(beyond)
    return {"start": scenario.start, "applications": scenario.applications,
            "actions": [a.model_dump(by_alias=True, exclude_none=True, mode="json") for a in scenario.actions]}
