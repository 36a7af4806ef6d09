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

    tables = (ROOT / "workflow" / "store" / "tables.py").read_text(encoding="utf-8")
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
    own = {"workflow/runtime/clock.py", "workflow/runtime/bootstrap.py", "workflow/runtime/settings.py",
           "workflow/cli/__init__.py"}
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


# ---- the rooms of workflow/ -----------------------------------------------------------

# Each room, and how deep it lies: a module imports only rooms lying deeper than its own
# (or its own room). The doors are the outermost, and no room but a door imports a door.
ROOMS = {
    "workflow": 0, "workflow.errors": 0,
    "workflow.inputs": 1,
    "workflow.store": 2,
    "workflow.usecases": 3,
    "workflow.runtime": 4, "workflow.documents": 4,
    "workflow.reads": 5,
    "workflow.cli": 6, "workflow.web": 6, "workflow.simulate": 6, "workflow.scenario": 6, "workflow.diagram": 6,
    "workflow.__main__": 6,
}
DOORS = ("workflow/cli", "workflow/web", "workflow/simulate.py", "workflow/scenario.py", "workflow/diagram.py")


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(module: str) -> str:
    parts = module.split(".")
    return next(".".join(parts[:n]) for n in (2, 1) if ".".join(parts[:n]) in ROOMS)


def imported_modules(path: Path, when_running: bool = False) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (``from a import b``
    names ``a.b`` when that is a module); ``when_running``, not those for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if when_running:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                found.add(dotted if _is_module(dotted) else node.module)
    return found


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def test_every_module_of_workflow_lies_in_a_named_room() -> None:
    flat = sorted(p.name for p in (ROOT / "workflow").glob("*.py")
                  if module_of(p) not in ROOMS and p.name != "__init__.py")
    assert flat == [], f"modules outside the rooms: {flat}"


def test_imports_point_from_the_doors_inward() -> None:
    wrong = []
    for path in (ROOT / "workflow").rglob("*.py"):
        mine = room_of(module_of(path))
        for module in imported_modules(path):
            if module.startswith("workflow"):
                theirs = room_of(module)
                if theirs != mine and ROOMS[theirs] >= ROOMS[mine] and not (ROOMS[mine] == ROOMS[theirs] == 6):
                    wrong.append(f"{module_of(path)} imports {module}")
    assert wrong == []


def _project_modules() -> dict[str, Path]:
    return {module_of(p): p for package in ("states", "workflow", "notifications")
            for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                cycles.append(sorted([node, *group]))

    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def test_import_cycles_are_found() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_round_a_circle() -> None:
    modules = _project_modules()
    graph = {name: {m for m in imported_modules(path) if m in modules and m != name} for name, path in modules.items()}
    assert import_cycles(graph) == []


# A query is built from sqlalchemy or the tables, which a door does not import; these
# calls are how a connection is opened or used.
CONNECTION_CALLS = {"connect", "begin", "execute", "exec_driver_sql", "raw_connection"}


@pytest.mark.parametrize("door", DOORS)
def test_the_doors_open_no_connection_and_build_no_query(door: str) -> None:
    """A door parses, calls a use case or a read, and shows what it gets: the database is
    reached only through them (the errors it raises are the doors' to word)."""
    paths = [ROOT / door] if door.endswith(".py") else list((ROOT / door).glob("*.py"))
    for path in paths:
        for module in imported_modules(path, when_running=True):
            assert not (module.split(".")[0] in ("sqlalchemy", "sqlmodel") and module != "sqlalchemy.exc"), \
                f"{door}: {path.name} imports {module}"
            assert module != "workflow.store.tables", f"{door}: {path.name} imports {module}"
        calls = {node.func.attr for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
        assert not calls & CONNECTION_CALLS, f"{door}: {path.name} calls {calls & CONNECTION_CALLS}"
