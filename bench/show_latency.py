"""How long `chuding show <case> --json` takes as a whole process, against the floor of
`python -c "import sqlmodel"`, measured alternately in the same run (median of each).

Two more floors in the same run say where the time goes: importing the command line's
and the settings' libraries beside sqlmodel (typer, pydantic-settings), and importing
the schema (the SQLModel table classes every command reads through)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    chuding = str(Path(sys.executable).parent / "chuding")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CHUDING_DATABASE_URL": str(Path(tmp) / "show.sqlite3"),
               "CHUDING_NOW": "2024-10-01T09:00:00+08:00"}
        setup = [
            ["init", "--notice", str(ROOT / "config" / "luntai-2024.toml"), "--admin", "admin"],
            ["--as", "admin", "operator", "add", "clerk", "--role", "applicant_clerk"],
            ["--as", "clerk", "import", str(ROOT / "docs" / "examples" / "applications-2024.json")],
        ]
        for args in setup:
            subprocess.run([chuding, *args], env=env, check=True, stdout=subprocess.DEVNULL)
        floors = {"import sqlmodel": "import sqlmodel",
                  "with typer, pydantic-settings": "import sqlmodel, typer, pydantic_settings",
                  "and the schema": "import sqlmodel, typer, pydantic_settings, workflow.store.tables"}
        times: dict[str, list[float]] = {name: [] for name in ["show", *floors]}
        for _ in range(RUNS):
            times["show"].append(timed([chuding, "show", "1", "--json"], env))
            for name, code in floors.items():
                times[name].append(timed([sys.executable, "-c", code], {**env, "PYTHONPATH": str(ROOT)}))
    median = {name: statistics.median(values) for name, values in times.items()}
    s, f = median["show"], median["import sqlmodel"]
    print(f"chuding show --json: {s * 1000:.0f} ms   import sqlmodel: {f * 1000:.0f} ms   "
          f"ratio {s / f:.2f} (target <= 1.2)")
    for name in list(floors)[1:]:
        print(f"  floor {name}: {median[name] * 1000:.0f} ms = {median[name] / f:.2f}x import sqlmodel")


if __name__ == "__main__":
    main()
