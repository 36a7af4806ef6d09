"""The expiry sweep over 100,000 overdue cases, against plain set-based SQL, on SQLite and
PostgreSQL. Each run is a process of its own on a fresh copy of the same database, so
its time and peak memory (max RSS) are its own.

chuding: ``expire_window`` — the state update, a history row per case and two outbox
messages per case (e-mail and SMS), in one transaction.
Baseline: the same state update and history insert as two plain SQL statements: the
same rows (event, states, actor, reason, times) as chuding writes. After each pair of
runs the bench checks that both left the same cases and the same history.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.support.helpers import valid_id  # noqa: E402
from tests.support.pgserver import postgres_server  # noqa: E402
from workflow.store.db import make_engine, upgrade  # noqa: E402
from workflow.store.tables import (  # noqa: E402
    APPLICANTS,
    CASES,
    UNITS,
    UTCDateTime,  # noqa: E402
)
from workflow.usecases.campaigns import load_notice  # noqa: E402

CASE_COUNT = 100_000
ROUNDS = 3
NOW = datetime(2024, 11, 2, 1, tzinfo=UTC)
BASELINE = [
    """INSERT INTO history (case_id, event, from_state, to_state, actor, role, reason, details,
                            effective_at, recorded_at)
       SELECT id, 'expire', state, 'expired', 'service', 'service', :reason, '{}', :at, :now
       FROM application_case WHERE campaign_id = 1 AND state IN ('drafted', 'returned')""",
    """UPDATE application_case SET state = 'expired', version = version + 1, updated_at = :at
       WHERE campaign_id = 1 AND state IN ('drafted', 'returned')""",
]


def populate(url: str) -> None:
    """100,000 drafted cases, each applicant with an e-mail and a phone. The declared facts
    are kept small: the expiry sweep does not read them."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        load_notice(conn, ROOT / "config" / "luntai-2024.toml")
        conn.execute(sa.insert(UNITS), {"code": "U1", "name": "水利站", "level": "县级", "type": "事业单位"})
        for start in range(1, CASE_COUNT + 1, 10_000):
            ids = range(start, min(start + 10_000, CASE_COUNT + 1))
            conn.execute(sa.insert(APPLICANTS), [{"id": i, "id_number": valid_id(i), "name": f"申报人{i}",
                                          "email": f"a{i}@example.cn", "phone": f"138{i:08d}"} for i in ids])
            conn.execute(sa.insert(CASES), [{"id": i, "campaign_id": 1, "applicant_id": i, "unit_id": 1,
                                          "state": "drafted", "version": 1, "application": "{}",
                                          "created_at": NOW, "updated_at": NOW} for i in ids])
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('applicant_id_seq', :n)"), {"n": CASE_COUNT})
            conn.execute(sa.text("SELECT setval('application_case_id_seq', :n)"), {"n": CASE_COUNT})
    engine.dispose()


def worker(url: str, which: str) -> None:
    """One measured run; prints seconds, peak RSS in MB and what it left, as JSON."""
    from workflow.usecases.messages import beijing
    from workflow.usecases.sweeps import campaigns, expire_window

    engine = make_engine(url)
    _, notice = campaigns(engine)[0]  # the service has its notices loaded before any sweep
    window = notice.windows["personal"]
    same = {"reason": f"{window.name}时间已于 {beijing(window.closes)} 结束",
            "at": window.first_late_second, "now": NOW}
    start = time.perf_counter()
    if which == "chuding":
        moved = expire_window(engine, 1, notice, "personal", NOW)
    else:
        with engine.begin() as conn:
            # Times bound as the table's own column type stores them.
            instants = (sa.bindparam("at", type_=UTCDateTime), sa.bindparam("now", type_=UTCDateTime))
            conn.execute(sa.text(BASELINE[0]).bindparams(*instants), same)
            moved = conn.execute(sa.text(BASELINE[1]).bindparams(instants[0]), same).rowcount
    seconds = time.perf_counter() - start
    assert moved == CASE_COUNT, moved
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "left": left_behind(engine)}))


def left_behind(engine: sa.Engine) -> str:
    """A digest of the cases and history a run left (not the wall-clock recorded_at)."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for query in ("SELECT id, state, version FROM application_case ORDER BY id",
                      "SELECT case_id, event, from_state, to_state, actor, role, reason, details, effective_at"
                      " FROM history ORDER BY case_id, id"):
            for row in conn.execute(sa.text(query)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def run(url: str, which: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--worker", url, which], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def sqlite_runs(tmp: Path) -> list[tuple[str, str]]:
    template = tmp / "template.sqlite3"
    populate(f"sqlite:///{template}")
    urls = []
    for round_ in range(ROUNDS):
        for which in ("baseline", "chuding"):
            copy = tmp / f"{which}{round_}.sqlite3"
            shutil.copy(template, copy)
            urls.append((which, f"sqlite:///{copy}"))
    return urls


def postgres_runs(base: str) -> list[tuple[str, str]]:
    admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("CREATE DATABASE template_bench"))
    populate(f"{base}/template_bench")
    urls = []
    with admin.connect() as conn:
        for round_ in range(ROUNDS):
            for which in ("baseline", "chuding"):
                conn.execute(sa.text(f"CREATE DATABASE {which}{round_} TEMPLATE template_bench"))
                urls.append((which, f"{base}/{which}{round_}"))
    admin.dispose()
    return urls


def report(engine_name: str, urls: list[tuple[str, str]]) -> None:
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "chuding": []}
    for which, url in urls:  # alternating, so drift on the machine hits both alike
        runs[which].append(run(url, which))
    left = {r["left"] for rs in runs.values() for r in rs}
    assert len(left) == 1, "chuding and the baseline left different cases or history"
    base, ours = ({"seconds": statistics.median(r["seconds"] for r in rs), "peak_mb": max(r["peak_mb"] for r in rs)}
                  for rs in (runs["baseline"], runs["chuding"]))
    print(f"{engine_name:<10} chuding {ours['seconds']:6.2f} s ({ours['peak_mb']:.0f} MB peak)   "
          f"plain SQL {base['seconds']:6.2f} s ({base['peak_mb']:.0f} MB peak)   "
          f"ratio {ours['seconds'] / base['seconds']:.2f} (target <= 2.5, peak < 300 MB); median of {ROUNDS}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        report("SQLite", sqlite_runs(Path(tmp)))
    with postgres_server(fsync=True) as base:
        report("PostgreSQL", postgres_runs(base))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        main()
