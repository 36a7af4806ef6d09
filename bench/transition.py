"""One transition through chuding's whole path against plain sqlite3, at two database sizes.

chuding: ``run_event`` (load the case, guards, version-checked update, history, commit).
Baseline: plain ``sqlite3`` doing the same state update and history insert, with the
same journal (WAL) and synchronous (FULL) settings. Both run in this process on the
same database, on different cases, so the ratio does not depend on the machine.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from states.clock import BEIJING  # noqa: E402
from states.values import Event  # noqa: E402
from tests.support.helpers import engineer, valid_id  # noqa: E402
from workflow.inputs.records import ApplicationRecord  # noqa: E402
from workflow.store.db import make_engine, upgrade  # noqa: E402
from workflow.store.stored_application import application_json  # noqa: E402
from workflow.usecases.campaigns import load_notice  # noqa: E402
from workflow.usecases.events import run_event  # noqa: E402

TRANSITIONS = 150  # per side and round; every round fits in the 1,000-case database
ROUNDS = 3
REVIEWER = "bench-reviewer"  # a registered county reviewer, settled in each transaction
NOW = datetime(2024, 10, 9, 10, tzinfo=BEIJING)


def populate(path: Path, cases: int) -> None:
    """``cases`` submitted cases, with their files and import history, written in bulk."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        load_notice(conn, ROOT / "config" / "luntai-2024.toml")
    engine.dispose()
    record = ApplicationRecord.model_validate(engineer())
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO unit (code, name, level, type) VALUES ('LT-SL-01', '水利站', '县级', '事业单位')")
    db.execute("INSERT INTO operator (login, name, role, active, created_at)"
               f" VALUES ('{REVIEWER}', '审核员', 'county_reviewer', 1, '{stamp}')")
    applicants, rows, files, history = [], [], [], []
    for i in range(1, cases + 1):
        app = application_json(record.to_domain()).replace(record.applicant.id_number, valid_id(i))
        applicants.append((i, valid_id(i), f"申报人{i}"))
        rows.append((i, 1, i, 1, "submitted", 1, app, stamp, stamp))
        files += [(i, "online", code, f"files/{i}/{code}", stamp) for code in record.materials]
        history.append((i, "submit", "drafted", "submitted", "clerk", "applicant_clerk", "", "{}", stamp, stamp))
    db.executemany("INSERT INTO applicant (id, id_number, name) VALUES (?, ?, ?)", applicants)
    db.executemany(
        "INSERT INTO application_case (id, campaign_id, applicant_id, unit_id, state, version, application,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO material (case_id, kind, code, reference, recorded_at) VALUES (?, ?, ?, ?, ?)", files)
    db.executemany(
        "INSERT INTO history (case_id, event, from_state, to_state, actor, role, reason, details,"
        " effective_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", history)
    db.commit()
    db.close()


def chuding_rate(path: Path, case_ids: range) -> float:
    engine = make_engine(f"sqlite:///{path}")
    run_event(engine, case_ids[0], Event.START_REVIEW, REVIEWER, NOW)  # warm caches
    start = time.perf_counter()
    for case in case_ids[1:]:
        run_event(engine, case, Event.START_REVIEW, REVIEWER, NOW)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return (len(case_ids) - 1) / elapsed


def baseline_rate(path: Path, case_ids: range) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    stamp = NOW.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def transition(case: int) -> None:
        db.execute("BEGIN")
        db.execute(
            "UPDATE application_case SET state = ?, version = version + 1, updated_at = ?"
            " WHERE id = ? AND version = ?", ("online_review", stamp, case, 1))
        db.execute(
            "INSERT INTO history (case_id, event, from_state, to_state, actor, role, reason, details,"
            " effective_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (case, "start_review", "submitted", "online_review", "r", "county_reviewer", "", "{}", stamp, stamp))
        db.execute("COMMIT")

    transition(case_ids[0])  # warm, as the chuding side is
    start = time.perf_counter()
    for case in case_ids[1:]:
        transition(case)
    elapsed = time.perf_counter() - start
    db.close()
    return (len(case_ids) - 1) / elapsed


def measure(cases: int) -> dict[str, float]:
    """Median of ROUNDS rounds; each round moves its own cases, alternating the two sides."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        populate(path, cases)
        bases, ours = [], []
        for round_ in range(ROUNDS):
            mine = range(round_ * (TRANSITIONS + 1) + 1, (round_ + 1) * (TRANSITIONS + 1) + 1)
            theirs = range(cases - (round_ + 1) * (TRANSITIONS + 1) + 1, cases - round_ * (TRANSITIONS + 1) + 1)
            bases.append(baseline_rate(path, theirs))
            ours.append(chuding_rate(path, mine))
    base, chuding = statistics.median(bases), statistics.median(ours)
    return {"cases": cases, "chuding_per_s": chuding, "baseline_per_s": base, "ratio": chuding / base}


def main() -> None:
    results = [measure(n) for n in (1000, 100_000)]
    for r in results:
        print(f"{r['cases']:>7,} cases: chuding {r['chuding_per_s']:8.0f}/s   plain sqlite3 "
              f"{r['baseline_per_s']:8.0f}/s   ratio {r['ratio']:.2f} (target >= 0.5)")
    print(f"100,000 vs small: chuding rate x{results[1]['chuding_per_s'] / results[0]['chuding_per_s']:.2f}"
          " (target >= 0.9)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
