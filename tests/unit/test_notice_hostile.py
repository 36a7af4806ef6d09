"""A notice file with anything wrong anywhere: a NoticeError naming the key, never a crash."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from states.notice import NoticeError
from tests.support.helpers import NOTICE_TEXT
from workflow.inputs.notices import parse_notice, read_notice_text

BASE = tomllib.loads(NOTICE_TEXT)
WRONG = ["x", 1_000_000, -1, True, [], {}, [1, "a"], 3.5]


def leaves(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(node, dict):
        found = [path] if path else []
        for key, child in node.items():
            found += leaves(child, (*path, key))
        return found
    return [path]


def replaced(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("path", leaves(BASE), ids=".".join)
def test_every_key_with_a_wrong_value_is_named_or_accepted(path: tuple[str, ...]) -> None:
    """A value of a wrong kind is refused naming its key; a value that only breaks a rule
    between keys (windows in order, known levels) may be named by that rule; a value of
    the right kind may be accepted. No key takes every wrong value."""
    named_itself = 0
    for value in WRONG:
        try:
            parse_notice(replaced(path, value), "hostile.toml")
        except NoticeError as err:
            key = ".".join(path)
            assert any(p.startswith((key, path[0], "windows", "eligibility", "work_summary"))
                       for p in err.problems), (path, value, err.problems)
            named_itself += any(p.startswith(key) for p in err.problems)
    assert named_itself, f"{path}: every wrong value was accepted, or none was named by its key"


@pytest.mark.parametrize("key, value, says", [
    (("fraud", "ban_years"), 1_000_000, "fraud.ban_years: must be at most 10"),
    (("publicity", "working_days"), 100_000, "publicity.working_days: must be at most 30"),
    (("calendar",), "x", "calendar: expected a table"),
    (("windows", "paper", "opens"), tomllib.loads("a = 2024-09-01T10:00:00")["a"], "windows.paper.opens: before"),
])
def test_absurd_values_and_windows_out_of_order(key: tuple[str, ...], value: Any, says: str) -> None:
    with pytest.raises(NoticeError) as err:
        parse_notice(replaced(key, value), "hostile.toml")
    assert any(p.startswith(says) for p in err.value.problems), err.value.problems


def test_a_file_not_in_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(NOTICE_TEXT.encode("gb18030"))
    with pytest.raises(NoticeError, match="not UTF-8"):
        read_notice_text(path)
