"""Dependencies point inward: the domain imports no persistence, I/O or outer package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_THIRD_PARTY = {"transitions", "chinese_calendar"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_states_imports_only_stdlib_transitions_and_chinesecalendar() -> None:
    import sys

    for path in (ROOT / "states").glob("*.py"):
        outside = {
            name for name in imported_roots(path)
            if name not in sys.stdlib_module_names and name != "__future__" and name != "states"
        }
        assert outside <= ALLOWED_THIRD_PARTY, f"{path.name} imports {outside - ALLOWED_THIRD_PARTY}"


def test_config_is_data_only() -> None:
    assert not list((ROOT / "config").glob("*.py"))


def imports_in(package: str) -> dict[str, set[str]]:
    return {path.name: imported_roots(path) for path in (ROOT / package).rglob("*.py")}


@pytest.mark.parametrize("package, forbidden", [
    ("states", {"workflow", "notifications"}),  # the domain knows no storage or delivery
    ("notifications", {"workflow"}),  # the outbox owns its table; the workflow uses it
])
def test_no_forbidden_direction(package: str, forbidden: set[str]) -> None:
    for name, roots in imports_in(package).items():
        assert not roots & forbidden, f"{package}/{name} imports {roots & forbidden}"


def test_the_outbox_table_is_the_outbox_s_own() -> None:
    from notifications.outbox import OUTBOX

    tables = (ROOT / "workflow" / "tables.py").read_text(encoding="utf-8")
    assert OUTBOX.name == "outbox" and "class OutboxMessage" not in tables
