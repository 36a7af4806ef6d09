"""Twenty 5 MB uploads at once through a real server: how much the server's resident
memory grows (target: less than 150 MB), against the same twenty bodies posted at once
to a page that reads its form and does nothing (the server's own floor for bodies of
that size), in the same run.

The server is `chuding serve` (uvicorn, one worker) on SQLite in a temporary folder; the
client is an asyncio one (httpx) in this process. Resident memory is read from
/proc/PID/status every 5 ms while the uploads run: the peak over the baseline measured
just before. Each burst runs in a server of its own, warmed first.

Usage: python bench/upload_memory.py [UPLOADS]
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402

from tests.support.helpers import NOTICE_FILE, engineer, valid_id, with_id  # noqa: E402
from tests.support.pgserver import free_port  # noqa: E402
from tests.support.scans import padded_pdf  # noqa: E402
from tests.support.service import CHUDING, chuding, env_for  # noqa: E402
from workflow.store.db import make_engine  # noqa: E402
from workflow.usecases.passwords import set_password  # noqa: E402

UPLOADS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
SIZE = 5 * 1024 * 1024 - 4096  # under the notice's 5 MB a file
PASSWORD = "bench password, long enough"


def rss_kb(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


async def burst(base: str, cookies: httpx.Cookies, token: str, paths: list[str], bodies: list[bytes]) -> list[int]:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=300) as client:
        async def one(path: str, body: bytes) -> int:
            sent = [("files", ("scan.pdf", body, "application/pdf"))]
            done = await client.post(path, data={"csrf": token}, files=sent)
            return done.status_code

        return list(await asyncio.gather(*(one(p, b) for p, b in zip(paths, bodies, strict=True))))


def peak_during(pid: int, action: callable) -> tuple[int, int, object]:  # type: ignore[valid-type]
    """(baseline kB, peak kB, the action's result) with RSS sampled every 5 ms meanwhile."""
    baseline, peak, running = rss_kb(pid), 0, True

    def sample() -> None:
        nonlocal peak
        while running:
            peak = max(peak, rss_kb(pid))
            time.sleep(0.005)

    watcher = threading.Thread(target=sample)
    watcher.start()
    try:
        result = action()
    finally:
        running = False
        watcher.join()
    return baseline, peak, result


def main() -> None:
    print(f"load average: {os.getloadavg()}; cpus: {os.cpu_count()}; {UPLOADS} uploads of {SIZE / 1048576:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        env = env_for(url, Path(tmp), CHUDING_NOW="2024-10-09T10:00:00+08:00")
        chuding(env, "init", "--notice", str(NOTICE_FILE), "--admin", "admin")
        chuding(env, "--as", "admin", "operator", "add", "clerk", "--role", "applicant_clerk")
        # One drafted case per upload: no two uploads wait on one case's row.
        source = Path(tmp) / "cases.json"
        source.write_text(json.dumps([with_id(engineer(), valid_id(n)) for n in range(UPLOADS + 1)],
                                     ensure_ascii=False), encoding="utf-8")  # and one to warm the server
        ids = list(range(1, UPLOADS + 1))
        chuding(env, "--as", "clerk", "import", str(source))
        engine = make_engine(url)
        set_password(engine, "clerk", "clerk", PASSWORD)
        engine.dispose()
        bodies = [padded_pdf(SIZE) for _ in range(UPLOADS)]
        # Each in a server of its own, warmed by one upload and one refusal first: what a
        # burst leaves in a process's heap would otherwise count against the next.
        floor = burst_in_server(env, Path(tmp), [f"/cases/{n}/materials/no_such_slot" for n in ids], bodies)
        done = burst_in_server(env, Path(tmp), [f"/cases/{n}/materials/diploma-1" for n in ids], bodies)
        statuses = done[2]
        assert all(s == 303 for s in statuses), statuses
        grew, floor_grew = (done[1] - done[0]) / 1024, (floor[1] - floor[0]) / 1024
        print(f"uploads: resident memory {done[0] / 1024:.0f} MB → peak {done[1] / 1024:.0f} MB, "
              f"+{grew:.0f} MB (target < 150 MB)")
        print(f"floor (the same bodies read and refused): {floor[0] / 1024:.0f} MB → peak {floor[1] / 1024:.0f} MB,"
              f" +{floor_grew:.0f} MB")
        print(f"all {UPLOADS} stored: {statuses.count(303)} × 303")


def burst_in_server(env: dict[str, str], tmp: Path, paths: list[str],
                    bodies: list[bytes]) -> tuple[int, int, list[int]]:
    port = free_port()
    log = (tmp / f"serve-{port}.log").open("wb")
    server = subprocess.Popen([*CHUDING, "serve", "--http", f"127.0.0.1:{port}"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base) as client:
            page = client.get("/login")
            client.post("/login", data={"login": "clerk", "password": PASSWORD, "csrf": csrf(page.text)})
            token = csrf(client.get("/").text)
            cookies = client.cookies
        warm = [f"/cases/{len(bodies) + 1}/materials/degree-1", f"/cases/{len(bodies) + 1}/materials/no_such_slot"]
        asyncio.run(burst(base, cookies, token, warm, [padded_pdf(SIZE), padded_pdf(SIZE)]))
        before, peak, statuses = peak_during(server.pid, lambda: asyncio.run(burst(base, cookies, token, paths,
                                                                                    bodies)))
        return before, peak, statuses  # type: ignore[return-value]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

if __name__ == "__main__":
    main()
