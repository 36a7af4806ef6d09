"""The web pages at 100,000 cases, by the server's own time (its Server-Timing header).

Lists: my work and the case list (first page, a state, a name search, a deep page). Each
page's p95 is set against plain ``sqlite3`` running the very statements the page ran
(recorded from the page itself, replayed with the same parameters): what the page adds
over its database work must stay within 3x.

A case page and one event through the browser's form path (session, CSRF, visibility,
the event, the redirect): the event's median against ``run_event`` called directly on
other cases of the same database, within 1.5x.

The framework's own floor, measured in the same run through the same app, middleware and
client: a page that does nothing at all, and a form with the event form's fields that
does nothing but redirect. No page can take less than these, so they show how much of
each ratio is left for chuding's own work.
"""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from fastapi import FastAPI, Form, Request  # noqa: E402
from fastapi.responses import RedirectResponse, Response  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from transition import NOW, REVIEWER, populate  # noqa: E402

from states.values import Event  # noqa: E402
from workflow.runtime.bootstrap import bootstrap  # noqa: E402
from workflow.runtime.settings import Settings  # noqa: E402
from workflow.usecases.events import run_event  # noqa: E402
from workflow.usecases.passwords import set_password  # noqa: E402
from workflow.web import create_app  # noqa: E402

CASES = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
SMALL = 1_000  # the same pages over a small campaign: what grows with the number of cases
REPEAT = 40
EVENTS = 60
PASSWORD = "bench password, long enough"


def server_ms(response: Any) -> float:
    return float(re.search(r"dur=([0-9.]+)", response.headers["server-timing"]).group(1))  # type: ignore[union-attr]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


class Recorder:
    """The statements a page runs, with their parameters, as the driver received them."""

    def __init__(self, engine: sa.Engine):
        self.statements: list[tuple[str, Any]] = []
        sa.event.listen(engine, "before_cursor_execute", self._record)
        self.on = False

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.on:
            self.statements.append((statement, parameters))


def replay_ms(path: Path, statements: list[tuple[str, Any]]) -> list[float]:
    db = sqlite3.connect(path, isolation_level=None)
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                db.execute(statement, parameters).fetchall()
            else:  # the session's touch: a write, at the same durability as the page's
                db.execute("BEGIN IMMEDIATE")
                db.execute(statement, parameters)
                db.execute("COMMIT")
        times.append((time.perf_counter() - start) * 1000)
    db.close()
    return times


def with_floor_routes(app: FastAPI) -> None:
    """Two routes that do nothing, first in the app's order (this run's app only)."""

    def empty(request: Request) -> Response:
        return Response("")

    def form(request: Request, number: int, event: str, csrf: Annotated[str, Form()] = "",
             version: Annotated[int | None, Form()] = None, reason: Annotated[str, Form()] = "",
             opinion: Annotated[str, Form()] = "", upheld: Annotated[str, Form()] = "",
             items: Annotated[list[str] | None, Form()] = None, form_code: Annotated[str, Form()] = "") -> Response:
        return RedirectResponse(f"/cases/{number}", status_code=303)

    app.add_api_route("/floor/empty", empty, methods=["GET"])
    app.add_api_route("/floor/{number}/{event}", form, methods=["POST"])
    app.router.routes[:0] = [app.router.routes.pop(), app.router.routes.pop()]


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def measure(cases: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "web.sqlite3"
        populate(path, cases)
        runtime = bootstrap(Settings(database_url=str(path), now=NOW.isoformat()))
        engine = runtime.engine()
        set_password(engine, REVIEWER, REVIEWER, PASSWORD)
        with sqlite3.connect(path) as db:  # the bench's reviewer may see any case; the pages do no less
            db.execute("PRAGMA journal_mode=WAL")
        app = create_app(runtime)
        with_floor_routes(app)
        recorder = Recorder(app.state.engine)
        results: dict[str, Any] = {}
        with TestClient(app, follow_redirects=False) as client:
            login = client.get("/login")
            client.post("/login", data={"login": REVIEWER, "password": PASSWORD, "csrf": csrf(login.text)})
            token = csrf(client.get("/").text)
            pages = {
                "my work": ("GET", "/", None),
                "case list": ("GET", "/cases", None),
                "state filter": ("GET", "/cases?state=submitted", None),
                "name search": ("POST", "/cases", {"csrf": token, "q": "申报人9999"}),
                "deep page": ("POST", "/cases", {"csrf": token, "past": str(cases // 2)}),
            }
            for name, (method, url, form) in pages.items():
                client.request(method, url, data=form)  # warm
                recorder.statements, recorder.on = [], True
                client.request(method, url, data=form)
                recorder.on = False
                statements = recorder.statements
                served = [server_ms(client.request(method, url, data=form)) for _ in range(REPEAT)]
                plain = replay_ms(path, statements)
                results[name] = {"p95_ms": p95(served), "plain_p95_ms": p95(plain), "ratio": p95(served) / p95(plain),
                                 "statements": len(statements)}
            # One event: through the form (cases 1..), and through the service layer (the last cases).
            client.get("/cases/1")
            page_ms = [server_ms(client.get(f"/cases/{n}")) for n in range(2, 2 + REPEAT)]
            form_ms = []
            for n in range(2, 2 + EVENTS):
                done = client.post(f"/cases/{n}/start_review", data={"csrf": token, "version": "1"})
                assert done.status_code == 303, done.text
                form_ms.append(server_ms(done))
            service_ms = []
            for n in range(cases - EVENTS, cases):
                start = time.perf_counter()
                run_event(engine, n, Event.START_REVIEW, REVIEWER, NOW)
                service_ms.append((time.perf_counter() - start) * 1000)
            empty = [server_ms(client.get("/floor/empty")) for _ in range(REPEAT * 5)]
            nothing = [server_ms(client.post(f"/floor/{n}/start_review", data={"csrf": token, "version": "1"}))
                       for n in range(REPEAT * 5)]
            results["floor"] = {"empty_page_p95_ms": p95(empty), "empty_form_median_ms": statistics.median(nothing)}
            results["case page"] = {"median_ms": statistics.median(page_ms)}
            results["event by form"] = {"median_ms": statistics.median(form_ms),
                                        "service_median_ms": statistics.median(service_ms),
                                        "ratio": statistics.median(form_ms) / statistics.median(service_ms)}
        app.state.engine.dispose()
        engine.dispose()
    return results


def main() -> None:
    small, results = measure(SMALL), measure(CASES)
    for name, r in results.items():
        if "p95_ms" in r:
            print(f"{name:>14} at {CASES:,} cases: p95 {r['p95_ms']:6.1f} ms   plain SQL {r['plain_p95_ms']:6.1f} ms"
                  f"   ratio {r['ratio']:.2f} (target <= 3)   at {SMALL:,} cases: p95 {small[name]['p95_ms']:6.1f} ms")
    print(f"     case page: median {results['case page']['median_ms']:.1f} ms")
    e, floor = results["event by form"], results["floor"]
    print(f" event by form: median {e['median_ms']:.2f} ms   service layer {e['service_median_ms']:.2f} ms"
          f"   ratio {e['ratio']:.2f} (target <= 1.5)")
    lists = results["case list"]
    print(f"   the floor: a page doing nothing p95 {floor['empty_page_p95_ms']:.2f} ms"
          f" = {floor['empty_page_p95_ms'] / lists['plain_p95_ms']:.2f}x the case list's SQL;"
          f" a form doing nothing median {floor['empty_form_median_ms']:.2f} ms, so an event by form"
          f" cannot be below {(floor['empty_form_median_ms'] + e['service_median_ms']) / e['service_median_ms']:.2f}x")
    print(json.dumps({"cases": CASES, **results, "small": {"cases": SMALL, **small}}))


if __name__ == "__main__":
    main()
