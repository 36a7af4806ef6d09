"""The README's walk-through runs as written and ends with the case confirmed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.helpers import ROOT


def test_walk_through_runs_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Walk-through", 1)[1]
    script = re.search(r"```sh\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    for folder in ("config", "docs"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("CHUDING_OPERATOR", None)
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout[done.stdout.rindex("\n[") :])
    assert [(c["case"], c["state"]) for c in listed] == [(1, "confirmed")]


def test_the_diagram_in_the_readme_is_the_machines() -> None:
    from workflow.diagram import mermaid

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert shown.strip() == mermaid().strip()
