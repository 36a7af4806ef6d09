"""An upload of a 2 MB PDF through the case page, against writing the same bytes to the
same store directly, on the local folder and on an S3-compatible server (moto, started
here on a free port). Viewing a stored file through the page, against the store's own
read of it.

Times are the server's own (its Server-Timing header), in one process through the same
app and middleware. Floors measured in the same run: the store's own write (and read) of
bytes of the same size; the least any checked, recorded upload does (that write, the PDF
opened once, one row committed to the same database); and a form that takes the same
multipart body and does nothing with it. Targets: upload ≤ 1.5x the folder's write and
≤ 1.3x S3's; a view ≤ 1.3x the store's read.

Usage: python bench/materials.py [UPLOADS]
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from fastapi import File, Form, UploadFile  # noqa: E402
from fastapi.responses import RedirectResponse, Response  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from tests.support.helpers import engineer  # noqa: E402
from tests.support.s3server import s3_server  # noqa: E402
from tests.support.scans import padded_pdf  # noqa: E402
from tests.support.world import World  # noqa: E402
from workflow.runtime.bootstrap import bootstrap  # noqa: E402
from workflow.runtime.settings import Settings  # noqa: E402
from workflow.store.db import make_engine, upgrade  # noqa: E402
from workflow.store.materials import MaterialStore, open_store, sha256_of  # noqa: E402
from workflow.usecases.passwords import set_password  # noqa: E402
from workflow.web import create_app  # noqa: E402

UPLOADS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
SIZE = 2 * 1024 * 1024
PASSWORD = "bench password, long enough"
NOW = "2024-10-09T10:00:00+08:00"


def server_ms(response: Any) -> float:
    return float(re.search(r"dur=([0-9.]+)", response.headers["server-timing"]).group(1))  # type: ignore[union-attr]


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed_ms(work: Any) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def run(label: str, materials_url: str, folder: Path) -> None:
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    World(engine).import_([engineer()])
    set_password(engine, "clerk", "clerk", PASSWORD)
    app = create_app(bootstrap(Settings(database_url=url, now=NOW, materials_url=materials_url)))

    @app.post("/bench/nothing")
    async def nothing(csrf: Annotated[str, Form()] = "",
                      files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
        return RedirectResponse("/cases/1#materials", status_code=303)

    store: MaterialStore = open_store(materials_url, url)
    with TestClient(app, follow_redirects=False) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"login": "clerk", "password": PASSWORD, "csrf": token})
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
        upload, framework, write, view, read, least, least_view = [], [], [], [], [], [], []
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE bench_row (id INTEGER PRIMARY KEY, sha TEXT)"))
        for _ in range(UPLOADS):
            data = padded_pdf(SIZE)
            files = [("files", ("scan.pdf", data, "application/pdf"))]
            done = client.post("/cases/1/materials/id_scan", data={"csrf": token}, files=files)
            assert done.status_code == 303, done.text[:300]
            upload.append(server_ms(done))
            framework.append(server_ms(client.post("/bench/nothing", data={"csrf": token}, files=files)))
            other = padded_pdf(SIZE)
            write.append(timed_ms(lambda other=other: store.put(sha256_of(other), other)))
            third = padded_pdf(SIZE)
            least.append(timed_ms(lambda third=third: checked_and_recorded(engine, store, third)))
            opened = client.get("/cases/1/materials/id_scan/1")
            assert opened.status_code == 200 and len(opened.content) == len(data)
            view.append(server_ms(opened))
            read.append(timed_ms(lambda data=data: store.get(sha256_of(data))))
            least_view.append(timed_ms(lambda data=data: recorded_read(engine, store, sha256_of(data))))
    engine.dispose()
    up, fw, wr, vw, rd, le, lv = (median(x) for x in (upload, framework, write, view, read, least, least_view))
    target = 1.5 if label == "folder" else 1.3
    print(f"{label}: upload {up:.1f} ms; the store's write {wr:.1f} ms -> {up / wr:.2f}x (target <= {target});"
          f" the least a checked, recorded upload does {le:.1f} ms -> {up / le:.2f}x;"
          f" the framework's multipart form {fw:.1f} ms")
    print(f"{label}: view {vw:.1f} ms; the store's read {rd:.1f} ms -> {vw / rd:.2f}x (target <= 1.3);"
          f" the least a recorded view does {lv:.1f} ms ({lv / rd:.2f}x the read) -> {vw / lv:.2f}x")


def checked_and_recorded(engine: sa.Engine, store: MaterialStore, data: bytes) -> None:
    """A floor no design of a checked, recorded upload can go under: the store's write, the
    PDF opened once and its pages counted, and one row committed to the same database."""
    import io

    from pypdf import PdfReader

    name = sha256_of(data)
    store.put(name, data)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO bench_row (sha) VALUES (:sha)"), {"sha": name})


def recorded_read(engine: sa.Engine, store: MaterialStore, name: str) -> None:
    """A floor no design of a recorded view can go under: one row committed to the same
    database (who saw it), then the store's read."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO bench_row (sha) VALUES (:sha)"), {"sha": name})
    store.get(name)


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; {UPLOADS} uploads of 2 MB each, medians")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "f"
        folder.mkdir()
        run("folder", f"file://{folder / 'materials'}", folder)
        s3 = Path(tmp) / "s"
        s3.mkdir()
        with s3_server(s3 / "s3.log") as address:
            run("s3", f"s3+http://bench:secret@{address}/bench", s3)


if __name__ == "__main__":
    main()
