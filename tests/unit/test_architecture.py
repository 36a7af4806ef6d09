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


def _calls(path: Path) -> set[str]:
    """Dotted names called in a module: ``datetime.now``, ``SystemClock``, ``os.environ.get``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            found.add(ast.unparse(node.func))
        elif isinstance(node, ast.Attribute) and ast.unparse(node) in ("os.environ", "os.getenv"):
            found.add(ast.unparse(node))
    return found


def test_only_the_composition_root_builds_clocks_and_reads_settings() -> None:
    """Every other module is handed its clock and settings (the CLI's COLUMNS is the
    terminal's, not a setting)."""
    own = {"workflow/clock.py", "workflow/bootstrap.py", "workflow/settings.py", "workflow/cli/__init__.py"}
    for package in ("states", "workflow", "notifications"):
        for path in (ROOT / package).rglob("*.py"):
            name = str(path.relative_to(ROOT))
            if name in own or "migrations" in name:
                continue
            bad = {c for c in _calls(path) if c in ("datetime.now", "SystemClock", "time.time", "os.environ",
                                                    "os.getenv", "date.today", "datetime.utcnow")}
            assert not bad, f"{name} uses {bad}"


@pytest.mark.parametrize("front_door", ["cli", "web"])
def test_the_front_doors_decide_nothing(front_door: str) -> None:
    """Role checks, who-is-acting and unit scoping live in the service layer, where every
    front door reaches them."""
    for path in (ROOT / "workflow" / front_door).glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for rule in ("require_role", "identify(", "acting(", "has_operators", "unit_code", "Role.ADMINISTRATOR",
                     "Role.UNIT_OPERATOR"):
            assert rule not in text, f"workflow/{front_door}/{path.name} holds {rule}"
