"""The applicant's files on the pages: a clerk uploads by slot, a reviewer opens them,
and nobody else sees them."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.scans import jpeg, pdf
from tests.support.web import log_in
from tests.support.world import World
from workflow.store.tables import AUDIT


def _upload(client: TestClient, token: str, slot: str, *files: tuple[str, bytes]) -> object:
    return client.post(f"/cases/1/materials/{slot}", data={"csrf": token},
                       files=[("files", (name, data, "application/octet-stream")) for name, data in files])


def test_a_clerk_uploads_by_slot_and_a_reviewer_opens_the_file(site: tuple[World, TestClient]) -> None:
    world, client = site
    token = log_in(client, "clerk")
    page = client.get("/cases/1").text
    assert 'id="materials"' in page and "身份证扫描件" in page and "缺" in page
    scan = pdf(pages=2)
    done = _upload(client, token, "id_scan", ("身份证正面.pdf", scan), ("背面.jpg", jpeg()))
    assert done.status_code == 303 and done.headers["location"] == "/cases/1#materials"  # type: ignore[attr-defined]
    page = client.get("/cases/1").text
    assert "身份证正面.pdf" in page and "背面.jpg" in page
    refused = _upload(client, token, "photo", ("<script>x</script>.pdf", b"MZ\x90\x00 a program"))
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "不是 PDF、JPEG 或 PNG" in refused.text and "<script>x" not in refused.text  # type: ignore[attr-defined]
    forged = client.post("/cases/1/materials/photo", data={"csrf": "forged"},
                         files=[("files", ("p.jpg", jpeg(), "image/jpeg"))])
    assert forged.status_code == 403
    assert world.count("material_file") == 2  # the refused and the forged changed nothing

    client.cookies.clear()
    log_in(client, "reviewer")
    page = client.get("/cases/1").text
    assert "身份证正面.pdf" in page and 'enctype="multipart/form-data"' not in page  # a reviewer does not upload
    opened = client.get("/cases/1/materials/id_scan/1")
    assert opened.status_code == 200 and opened.content == scan
    assert opened.headers["content-type"] == "application/pdf" and opened.headers["x-content-type-options"] == "nosniff"
    assert opened.headers["content-disposition"].startswith("inline;")
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
    huge = client.post("/cases/1/materials/id_scan", data={"csrf": token},
                       files=[("files", ("big.pdf", b"%PDF-" + b"0" * UPLOAD_BYTES, "application/pdf"))])
    assert huge.status_code == 413 and world.count("material_file") == 0


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
    [(name, _)] = list(store.listing())
    store.delete(name)
    lost = client.get("/cases/1/materials/id_scan/1")
    assert lost.status_code == 500 and "chuding materials verify" in lost.text and "Traceback" not in lost.text
