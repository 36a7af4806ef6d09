"""What an upload is, by its content, and the hostile files that are refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from states.notice import UploadLimits
from states.refusals import Refused
from tests.support.scans import jpeg, pdf, png
from workflow.inputs.scans import examine

LIMITS = UploadLimits()


def _refusal(data: bytes, name: str = "scan.pdf", limits: UploadLimits = LIMITS) -> str:
    with pytest.raises(Refused) as err:
        examine("id_scan", name, data, limits)
    [refusal] = err.value.refusals
    assert refusal.field == "id_scan" and name in refusal.message  # names the slot and the file
    return f"{refusal.rule}: {refusal.message}"


def test_pdf_jpeg_and_png_are_told_by_their_content() -> None:
    scanned = examine("id_scan", "身份证.jpg", pdf(pages=2), LIMITS)
    assert (scanned.media_type, scanned.pages) == ("application/pdf", 2)
    assert examine("photo", "photo.pdf", jpeg(), LIMITS).media_type == "image/jpeg"  # the name says nothing
    assert examine("photo", "photo", png(), LIMITS).media_type == "image/png"


@pytest.mark.parametrize("data, rule", [
    (b"", "material.empty"),
    (b"MZ\x90\x00" + b"\0" * 200, "material.kind"),  # a program named .pdf
    (b"<html><script>alert(1)</script></html>", "material.kind"),
    (pdf(javascript="app.alert('hi');"), "material.pdf"),
    (pdf(password="secret"), "material.pdf"),
    (pdf(attachment=b"MZ\x90\x00"), "material.pdf"),
    (pdf(pages=LIMITS.pdf_pages + 1), "material.pdf"),
    (b"%PDF-1.7\n" + b"garbage" * 100, "material.pdf"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "material.image"),
])
def test_a_hostile_or_broken_file_is_refused_naming_slot_file_and_rule(data: bytes, rule: str) -> None:
    assert _refusal(data).startswith(rule)


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened() -> None:
    small = UploadLimits(file_bytes=1024)
    assert _refusal(pdf() + b"\0" * 2048, limits=small).startswith("material.size")


@pytest.mark.parametrize("size", [(8_000, 6_000), (12_000, 12_000)])  # past our limit; past Pillow's too
def test_a_decompression_bomb_is_refused_from_its_header(size: tuple[int, int]) -> None:
    bomb = png(size, mode="1")  # tens of millions of pixels in a file of a few kilobytes
    assert len(bomb) < 100_000
    assert "百万像素" in _refusal(bomb, "bomb.png")


def test_a_photo_is_kept_without_where_it_was_taken() -> None:
    taken = jpeg(gps=True)
    assert Image.open(io.BytesIO(taken)).getexif().get(0x8825)
    kept = examine("photo", "photo.jpg", taken, LIMITS)
    assert kept.media_type == "image/jpeg"
    assert not Image.open(io.BytesIO(kept.data)).getexif()  # no GPS, no maker, nothing


def test_a_name_that_only_begins_like_an_active_one_is_no_script() -> None:
    """A font subset's tag is six random capitals: /JSKQWE+SimSun is not /JS."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Producer": "/JSKQWE+SimSun"})
    out = io.BytesIO()
    writer.write(out)
    escaped = b"\\057JSKQWE\\053SimSun"  # as pypdf writes it; spelt out raw, as other writers do
    assert escaped in out.getvalue()
    raw = out.getvalue().replace(escaped, b"/JSKQWE+SimSun      ")
    assert examine("id_scan", "scan.pdf", raw, LIMITS).pages == 1
    assert _refusal(raw.replace(b"/JSKQWE", b"/JS QWE")).startswith("material.pdf")
