"""The e2e tests' shell: a database with the staff registered, driven by whole processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.helpers import NOTICE_FILE
from tests.support.shell import Shell


@pytest.fixture
def sh(db_url: str, tmp_path: Path) -> Shell:
    shell = Shell(db_url, tmp_path)
    shell("init", "--notice", str(NOTICE_FILE), "--admin", "admin")
    # The staff in-process: `operator add` as a command is tested on its own, and four
    # more processes per test would be most of the suite's time.
    from workflow.store.db import make_engine
    from workflow.usecases.operators import add_operator

    engine = make_engine(db_url)
    with engine.begin() as conn:
        for login, role in (("clerk", "applicant_clerk"), ("reviewer", "county_reviewer"),
                            ("paper", "county_clerk"), ("approver", "county_approver")):
            add_operator(conn, login, login, role, None)
    engine.dispose()
    return shell
