"""The SQLite file's own set-up under a concurrent writer."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from workflow.store.db import make_engine


def test_a_new_file_waits_for_a_writer_before_turning_on_wal(tmp_path: Path) -> None:
    """Switching a new file to WAL does not wait on SQLite's busy handler by itself: a
    second `init` meeting the first one's write lock was refused as busy at once."""
    path = tmp_path / "new.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE t (x)")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    engine = make_engine(f"sqlite:///{path}", busy_ms=5_000)
    started = time.monotonic()
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 0
    release.join()
    holder.close()
    engine.dispose()
    assert mode == "wal"
    assert time.monotonic() - started >= 0.3  # it waited for the writer, as the busy timeout allows


def test_a_writer_waits_ten_seconds_by_default_and_as_long_as_the_setting_says(tmp_path: Path) -> None:
    """The README's promise (10 s), and the setting the tests use to wait less."""
    from workflow.runtime.bootstrap import bootstrap
    from workflow.runtime.settings import Settings

    for given, expected in (({}, 10_000), ({"sqlite_busy_ms": 1_500}, 1_500)):
        settings = Settings(database_url=str(tmp_path / "wait.sqlite3"), **given)
        engine = bootstrap(settings).engine(require=False, create=True)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == expected
        engine.dispose()
