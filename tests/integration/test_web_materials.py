"""The applicant's files on the pages: a clerk uploads by slot, a reviewer opens them,
and nobody else sees them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.scans import jpeg, pdf
from tests.support.web import GOOD, NOW, log_in
from tests.support.world import World
from workflow.store.materials import sha256_of
from workflow.store.tables import AUDIT


def _upload(client: TestClient, token: str, slot: str, *files: tuple[str, bytes]) -> object:
    return client.post(f"/cases/1/materials/{slot}", data={"csrf": token},
                       files=[("files", (name, data, "application/octet-stream")) for name, data in files])


def test_a_clerk_uploads_by_slot_and_a_reviewer_opens_the_file(site: tuple[World, TestClient]) -> None:
    world, client = site
    token = log_in(client, "clerk")
    page = client.get("/cases/1").text
    assert 'id="materials"' in page and "身份证扫描件" in page and "id.pdf" in page  # imported with the case
    before = world.count("material_file")
    scan = pdf(pages=2)
    done = _upload(client, token, "id_scan", ("身份证正面.pdf", scan), ("背面.jpg", jpeg()))
    assert done.status_code == 303 and done.headers["location"] == "/cases/1#materials"  # type: ignore[attr-defined]
    page = client.get("/cases/1").text
    assert "身份证正面.pdf" in page and "背面.jpg" in page
    refused = _upload(client, token, "diploma-1", ("<script>x</script>.pdf", b"MZ\x90\x00 a program"))
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "不是 PDF、JPEG、PNG 文件" in refused.text and "<script>x" not in refused.text  # type: ignore[attr-defined]
    forged = client.post("/cases/1/materials/photo", data={"csrf": "forged"},
                         files=[("files", ("p.jpg", jpeg(), "image/jpeg"))])
    assert forged.status_code == 403
    assert world.count("material_file") == before + 2  # the refused and the forged changed nothing

    client.cookies.clear()
    log_in(client, "reviewer")
    page = client.get("/cases/1").text
    assert "身份证正面.pdf" in page and 'enctype="multipart/form-data"' not in page  # a reviewer does not upload
    opened = client.get("/cases/1/materials/id_scan/1")
    assert opened.status_code == 200 and opened.content == scan
    assert opened.headers["content-type"] == "application/pdf" and opened.headers["x-content-type-options"] == "nosniff"
    assert opened.headers["content-disposition"].startswith("inline;")
    # Only a file may be framed, and only by this site's own page (the in-page viewer).
    assert opened.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'self'"
    assert opened.headers["x-frame-options"] == "SAMEORIGIN"
    case_page = client.get("/cases/1")
    assert "frame-ancestors 'none'" in case_page.headers["content-security-policy"]
    assert case_page.headers["x-frame-options"] == "DENY"
    assert client.get("/cases/1/materials/id_scan/9").status_code == 404

    client.cookies.clear()
    log_in(client, "school")  # case 1 is the water station's
    assert client.get("/cases/1/materials/id_scan/1").status_code == 404
    with world.engine.connect() as conn:
        viewers = conn.execute(sa.select(AUDIT.c.actor).where(AUDIT.c.action == "material.view")).scalars().all()
    assert "reviewer" in viewers and "school" not in viewers


def test_an_upload_larger_than_the_pages_take_is_refused_before_it_is_read(site: tuple[World, TestClient]) -> None:
    from workflow.web.limits import UPLOAD_BYTES

    world, client = site
    token = log_in(client, "clerk")
    before = world.count("material_file")
    huge = client.post("/cases/1/materials/id_scan", data={"csrf": token},
                       files=[("files", ("big.pdf", b"%PDF-" + b"0" * UPLOAD_BYTES, "application/pdf"))])
    assert huge.status_code == 413 and world.count("material_file") == before


def test_the_reviewer_reads_the_work_summary_with_its_count_and_the_contact_masked(
        site: tuple[World, TestClient]) -> None:
    from tests.support.helpers import NOTICE, engineer

    _, client = site
    log_in(client, "reviewer")
    page = client.get("/cases/1").text
    applicant = engineer()["applicant"]
    summary = engineer()["work_summary"]
    counted = sum(1 for ch in summary if not ch.isspace())
    assert f"共 {counted} 字（不计空白；通知要求 {NOTICE.summary_min_chars}–{NOTICE.summary_max_chars} 字）" in page
    assert summary[:40] in page
    assert applicant["phone"] not in page and f"{applicant['phone'][:3]}****{applicant['phone'][-4:]}" in page
    assert applicant["email"] not in page


def test_a_file_the_store_lost_is_a_clear_page_and_an_absurd_file_number_is_not_found(
        site: tuple[World, TestClient], tmp_path: object) -> None:
    world, client = site
    token = log_in(client, "clerk")
    scan = pdf()
    assert _upload(client, token, "id_scan", ("id.pdf", scan)).status_code == 303  # type: ignore[attr-defined]
    assert client.get("/cases/1/materials/id_scan/99999999999999999999").status_code == 404
    store = client.app.state.runtime.materials  # type: ignore[attr-defined]
    store.delete(sha256_of(scan))
    lost = client.get("/cases/1/materials/id_scan/1")
    assert lost.status_code == 500 and "chuding materials verify" in lost.text and "Traceback" not in lost.text


def test_the_review_page_shows_each_eligibility_check_with_what_it_found(site: tuple[World, TestClient]) -> None:
    import re

    _, client = site
    log_in(client, "reviewer")
    page = client.get("/cases/1").text
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td><td>(.*?)</td></tr>", page.split('id="checks"')[1]
                      .split("</table>")[0])
    found = {name: (what, "符合" in verdict and "不符合" not in verdict) for name, what, verdict in rows}
    assert list(found) == ["学历", "工作年限", "单位层级", "单位类型", "以考代评", "离退休", "年度考核", "继续教育",
                           "禁止申报"]
    assert found["工作年限"] == ("自 2022-07-15 起，截至 2024-10-30 满 2 年；本科须满 1 年", True)
    assert found["年度考核"] == ("2022 合格；2023 优秀（须优秀或合格）", True)
    assert all(ok for _, ok in found.values())
    teacher = client.get("/cases/2").text
    assert "教师：六五周期继续教育学分认定合格证书" in teacher


def test_a_store_answering_500_on_a_read_is_a_clear_page_and_the_case_page_still_works(
        db_url: str, engine: sa.Engine, tmp_path: object) -> None:
    """A real HTTP server on a free port that answers every request with S3's 500
    InternalError: opening a file is a clear page naming the store; the case page, which
    reads rows only, works as before; nothing is written but the view's audit row."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.support.helpers import engineer
    from workflow.runtime.bootstrap import bootstrap
    from workflow.runtime.settings import Settings
    from workflow.store.materials import StoreUnavailable, open_store
    from workflow.usecases.passwords import set_password
    from workflow.web import create_app

    class Failing(BaseHTTPRequestHandler):
        def _fail(self) -> None:
            body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
                    b"<Message>We encountered an internal error.</Message></Error>")
            self.send_response(500)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_HEAD = do_POST = _fail  # noqa: N815 - the handler's own names

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    failing = f"s3+http://k:s@127.0.0.1:{server.server_address[1]}/bucket"
    try:
        with pytest.raises(StoreUnavailable, match="InternalError"):
            open_store(failing, "").get("0" * 64)
        world = World(engine, open_store(f"file://{tmp_path}/kept", ""))
        world.import_([engineer()])
        set_password(engine, "reviewer", "reviewer", GOOD)
        app = create_app(bootstrap(Settings(database_url=db_url, now=NOW, materials_url=failing)))
        with TestClient(app, follow_redirects=False) as client:
            log_in(client, "reviewer")
            opened = client.get("/cases/1/materials/id_scan/1")
            assert opened.status_code == 503 and "InternalError" in opened.text and "请稍后再试" in opened.text
            assert "Traceback" not in opened.text
            page = client.get("/cases/1")
            assert page.status_code == 200 and "id.pdf" in page.text
        app.state.engine.dispose()
    finally:
        server.shutdown()
        server.server_close()
