"""The chuding command as a person at a terminal runs it: one process per command, with
the acting login and the campaign's clock given as they would set them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.support.service import CHUDING


class Shell:
    def __init__(self, url: str, cwd: Path):
        # The materials in a folder of the test's own (the embedded default's place is
        # beside a SQLite file; PostgreSQL must be told).
        self.env = {**os.environ, "CHUDING_DATABASE_URL": url, "CHUDING_MATERIALS_URL": f"file://{cwd / 'materials'}"}
        self.cwd = cwd

    def __call__(self, *args: str, who: str | None = None, now: str | None = None,
                 code: int = 0) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if who:
            env["CHUDING_OPERATOR"] = who
        if now:
            env["CHUDING_NOW"] = now
        done = subprocess.run([*CHUDING, *args], env=env, cwd=self.cwd, capture_output=True, text=True)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return done

    def json(self, *args: str, **kw: Any) -> Any:
        return json.loads(self(*args, "--json", **kw).stdout)
