"""Strangers logging in must not stop the staff: 50 logged-in clerks reading pages, alone
and then beside 40 strangers looping GET /login → POST /login with made-up logins.

`chuding serve` runs in its own process (uvicorn, SQLite, 10,000 cases); one asyncio
client drives every simulated person on the same two cores. Two kinds of stranger:
- from one address (the usual case): the address limit stops them before any password
  is checked;
- from a thousand addresses (through a proxy the bureau trusts, X-Forwarded-For): every
  attempt costs an Argon2 check, at most PASSWORD_CHECKS at a time.

Target: 0 errors for the clerks and their throughput within 2x of the run without
strangers (a ratio >= 0.5). Usage: python bench/login_flood.py [SECONDS] [--postgres]
(on PostgreSQL, a server of its own on a free port and a campaign of 1,000 cases
imported through the use case).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx2  # noqa: E402
from transition import NOW, REVIEWER, populate  # noqa: E402

from workflow.store.db import make_engine  # noqa: E402
from workflow.usecases.passwords import set_password  # noqa: E402

POSTGRES = "--postgres" in sys.argv
SECONDS = float(next((a for a in sys.argv[1:] if not a.startswith("--")), 20))
CASES = 1_000 if POSTGRES else 10_000
CLERKS, STRANGERS = 50, 40
PASSWORD = "bench password, long enough"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:300]
    return found.group(1)


async def logged_in(base: str) -> httpx2.AsyncClient:
    client = httpx2.AsyncClient(base_url=base, follow_redirects=False, timeout=60)
    form = await client.get("/login")
    answer = await client.post("/login", data={"login": REVIEWER, "password": PASSWORD, "csrf": token(form.text)})
    assert answer.status_code == 303, answer.text[:300]
    return client


async def clerk(client: httpx2.AsyncClient, stop: float, done: list[float], errors: Counter[str]) -> None:
    """A logged-in clerk reading the case list and case pages as fast as they come."""
    while time.monotonic() < stop:
        path = random.choice(["/cases", f"/cases/{random.randint(1, CASES)}"])
        started = time.perf_counter()
        try:
            page = await client.get(path)
            if page.status_code != 200:
                errors[f"{page.status_code}"] += 1
        except httpx2.HTTPError as err:
            errors[type(err).__name__] += 1
            continue
        done.append(time.perf_counter() - started)


async def stranger(base: str, stop: float, spread: bool, answers: Counter[int]) -> None:
    async with httpx2.AsyncClient(base_url=base, follow_redirects=False, timeout=60) as client:
        while time.monotonic() < stop:
            headers = {"x-forwarded-for": f"10.{random.randint(0, 3)}.{random.randint(0, 255)}.1"} if spread else {}
            try:
                form = await client.get("/login", headers=headers)
                answer = await client.post("/login", headers=headers, data={
                    "login": f"guess{random.randint(0, 10**9)}", "password": "not a password at all",
                    "csrf": token(form.text)})
                answers[answer.status_code] += 1
            except httpx2.HTTPError:
                answers[0] += 1


async def run(base: str, strangers: int, spread: bool) -> tuple[list[float], Counter[str], Counter[int]]:
    """Every phase with the same 50 sessions, opened before the strangers come."""
    clerks = [await logged_in(base) for _ in range(CLERKS)]
    stop = time.monotonic() + SECONDS
    done: list[float] = []
    errors: Counter[str] = Counter()
    answers: Counter[int] = Counter()
    try:
        await asyncio.gather(*(clerk(client, stop, done, errors) for client in clerks),
                             *(stranger(base, stop, spread, answers) for _ in range(strangers)))
    finally:
        await asyncio.gather(*(client.aclose() for client in clerks))
    return done, errors, answers


def sqlite_campaign(folder: Path) -> str:
    db = folder / "bench.sqlite3"
    populate(db, CASES)
    return str(db)


def postgres_campaign(base: str) -> str:
    """A database of its own, the notice loaded, CASES cases imported as a clerk would."""
    import json

    import sqlalchemy as sa

    from tests.support.helpers import NOTICE_FILE, engineer, valid_id, with_id
    from workflow.store.db import upgrade
    from workflow.usecases.campaigns import load_notice
    from workflow.usecases.importer import import_applications
    from workflow.usecases.operators import register_operator
    from workflow.usecases.passwords import one_time_password

    admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("CREATE DATABASE flood"))
    admin.dispose()
    url = f"{base}/flood"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        load_notice(conn, NOTICE_FILE)
        from workflow.usecases.operators import add_operator

        add_operator(conn, "bench-admin", "管理员", "administrator", None)
        one_time_password(conn, "bench-admin")
    register_operator(engine, "bench-admin", "bench-clerk", "经办人", "applicant_clerk", None)
    register_operator(engine, "bench-admin", REVIEWER, "审核员", "county_reviewer", None)
    records = [with_id(engineer(), valid_id(i), f"申报人{i}") for i in range(1, CASES + 1)]
    import_applications(engine, json.dumps(records, ensure_ascii=False), "bench.json", "bench-clerk",
                        NOW.replace(month=9, day=28))
    engine.dispose()
    return url


def main() -> None:
    if POSTGRES:
        from tests.support.pgserver import postgres_server

        with postgres_server(fsync=True) as base:
            flood(postgres_campaign(base), "PostgreSQL")
    else:
        flood(sqlite_campaign(Path(tempfile.mkdtemp(prefix="chuding-flood-"))), "SQLite")


def flood(url: str, kind: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="chuding-flood-"))
    engine = make_engine(url)
    set_password(engine, REVIEWER, REVIEWER, PASSWORD)
    engine.dispose()
    port = free_port()
    env = {**os.environ, "CHUDING_DATABASE_URL": url, "CHUDING_NOW": NOW.isoformat(),
           "CHUDING_MAIL_DIR": str(folder / "mail"), "CHUDING_SMS_DIR": str(folder / "sms"),
           "CHUDING_TRUSTED_PROXIES": "127.0.0.1", "CHUDING_MATERIALS_URL": f"file://{folder / 'materials'}"}
    server = subprocess.Popen([sys.executable, "-m", "workflow", "serve", "--http", f"127.0.0.1:{port}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx2.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                time.sleep(0.1)
        print(f"{kind}, {CASES} cases, {CLERKS} clerks, {STRANGERS} strangers, {SECONDS:.0f} s a run;"
              f" load average {os.getloadavg()[0]:.2f} before")
        results = {}
        for name, strangers, spread in (("clerks alone", 0, False), ("+ strangers, one address", STRANGERS, False),
                                        ("+ strangers, 1,000 addresses", STRANGERS, True)):
            done, errors, answers = asyncio.run(run(base, strangers, spread))
            results[name] = len(done) / SECONDS
            p95 = statistics.quantiles(done, n=20)[-1] * 1000 if len(done) > 20 else float("nan")
            ratio = results[name] / results["clerks alone"]
            print(f"{name:30} clerks {results[name]:7.1f} req/s (x{ratio:.2f} of alone), p95 {p95:7.1f} ms,"
                  f" clerk errors {sum(errors.values())} {dict(errors) or ''};"
                  f" strangers' answers {dict(sorted(answers.items())) or '-'};"
                  f" load {os.getloadavg()[0]:.2f}")
        worst = min(v for k, v in results.items() if k != "clerks alone") / results["clerks alone"]
        print(f"target: 0 clerk errors, throughput >= 0.5 of alone; worst ratio {worst:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
