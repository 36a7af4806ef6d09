"""Documents and spreadsheets, each against the same library writing the same content
without chuding (ratio of time and of peak Python memory, median of 3):

- the 推荐单位公示 of a unit with 200 cases in publicity (docxtpl) — baseline: docxtpl
  filling the same template with the same rows, already at hand;
- the 评审表 of one case (WeasyPrint) — baseline: WeasyPrint printing the same HTML;
- an export of 100,000 cases (openpyxl) — baseline: openpyxl's write-only workbook
  writing the same rows, read by one plain sqlite3 query.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from transition import NOW, REVIEWER, populate  # noqa: E402

from workflow.documents.produce import _unit_publicity, unit_document  # noqa: E402
from workflow.documents.render import render_docx  # noqa: E402
from workflow.documents.review_form import context, render_pdf, review_form  # noqa: E402
from workflow.reads.export import HEADERS, export_cases  # noqa: E402
from workflow.store.db import make_engine  # noqa: E402

ROUNDS = 3


def measure(work: Callable[[], Any]) -> tuple[float, float]:
    """Seconds of one run, and the peak traced memory (MB) of another (tracing slows it)."""
    start = time.perf_counter()
    work()
    took = time.perf_counter() - start
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return took, peak


def compare(name: str, ours: Callable[[], Any], theirs: Callable[[], Any]) -> dict[str, Any]:
    ours(), theirs()  # warm: imports, fonts, templates
    mine, base = [measure(ours) for _ in range(ROUNDS)], [measure(theirs) for _ in range(ROUNDS)]
    t, b = statistics.median(m[0] for m in mine), statistics.median(m[0] for m in base)
    mt, mb = statistics.median(m[1] for m in mine), statistics.median(m[1] for m in base)
    print(f"{name:>22}: chuding {t * 1000:7.0f} ms {mt:6.1f} MB   library alone {b * 1000:7.0f} ms {mb:6.1f} MB"
          f"   time x{t / b:.2f}  memory x{mt / mb:.2f} (target <= 2)")
    return {"ms": t * 1000, "baseline_ms": b * 1000, "mb": mt, "baseline_mb": mb, "time_ratio": t / b,
            "memory_ratio": mt / mb}


def in_publicity(path: Path, cases: int) -> None:
    """The first ``cases`` cases approved and in their unit's publicity since 9 October."""
    db = sqlite3.connect(path)
    started, completes = "2024-10-09 02:00:00.000000", "2024-10-14 16:00:00.000000"
    db.execute(f"UPDATE application_case SET state = 'unit_publicity' WHERE id <= {cases}")
    db.executemany("INSERT INTO publicity (case_id, started_at, completes_at) VALUES (?, ?, ?)",
                   [(i, started, completes) for i in range(1, cases + 1)])
    db.executemany("INSERT INTO history (case_id, event, from_state, to_state, actor, role, reason, details,"
                   " effective_at, recorded_at) VALUES (?, 'approve_online', 'online_review', 'unit_publicity',"
                   " 'r', 'county_reviewer', '', '{}', ?, ?)", [(i, started, started) for i in range(1, cases + 1)])
    db.execute("INSERT INTO operator (login, name, role, active, created_at) VALUES"
               " ('bench-admin', 'a', 'administrator', 1, '2024-01-01 00:00:00')")
    db.commit()
    db.close()


def main() -> None:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.sqlite3"
        populate(path, 100_000)
        in_publicity(path, 200)
        engine = make_engine(f"sqlite:///{path}")
        from workflow.store.cases import load_case

        with engine.connect() as conn:
            from sqlalchemy import select

            from workflow.store.tables import UNITS

            unit = conn.execute(select(UNITS).where(UNITS.c.code == "LT-SL-01")).one()
            ready = _unit_publicity(conn, unit, NOW)  # the rows at hand, for the library alone
            case = load_case(conn, 1)
        results["publicity_200"] = compare(
            "公示 of 200 cases", lambda: unit_document(engine, REVIEWER, "unit_publicity", "LT-SL-01", NOW),
            lambda: render_docx("unit_publicity", ready))
        values = context(case, datetime(2024, 10, 9, 2, tzinfo=NOW.tzinfo))
        results["review_form"] = compare("评审表 of one case", lambda: review_form(engine, REVIEWER, 1, NOW),
                                         lambda: render_pdf(values))

        def plain_export() -> None:
            from openpyxl import Workbook

            db = sqlite3.connect(path)
            rows = db.execute(
                "SELECT c.id, p.code, a.name, a.id_number, u.code, c.state, c.updated_at FROM application_case c"
                " JOIN applicant a ON a.id = c.applicant_id JOIN unit u ON u.id = c.unit_id"
                " JOIN campaign p ON p.id = c.campaign_id ORDER BY c.id").fetchall()
            book = Workbook(write_only=True)
            sheet = book.create_sheet("申报")
            sheet.append(list(HEADERS))
            for r in rows:
                sheet.append([r[0], r[1], r[2], r[3][:6] + "********" + r[3][-4:], r[4], r[5], r[5],
                              datetime.fromisoformat(r[6])])
            book.save(Path(tmp) / "plain.xlsx")
            db.close()

        results["export_100k"] = compare("export of 100,000", lambda: export_cases(
            engine, REVIEWER, Path(tmp) / "cases.xlsx"), plain_export)
        engine.dispose()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
