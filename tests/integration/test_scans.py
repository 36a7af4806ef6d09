"""What an upload is, by its content, and the hostile files that are refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from states.materials import Place
from states.notice import Slot, UploadLimits
from states.refusals import Refused
from tests.support.helpers import NOTICE
from tests.support.scans import jpeg, pdf, png
from workflow.inputs.scans import examine

LIMITS = UploadLimits()


def _place(key: str) -> Place:
    slot = NOTICE.slot(key)
    assert slot is not None
    return Place(key, slot, slot.name)


ID_SCAN, PHOTO = _place("id_scan"), _place("photo")
DIPLOMA = Place("diploma-1", _place("diploma").slot, "毕业证书（本科）")


def _refusal(data: bytes, name: str = "scan.pdf", limits: UploadLimits = LIMITS) -> str:
    with pytest.raises(Refused) as err:
        examine(ID_SCAN, name, data, limits)
    [refusal] = err.value.refusals
    assert refusal.field == "id_scan" and name in refusal.message  # names the slot and the file
    assert refusal.message.startswith("身份证扫描件（正、反面）：")
    return f"{refusal.rule}: {refusal.message}"


def test_pdf_jpeg_and_png_are_told_by_their_content() -> None:
    scanned = examine(ID_SCAN, "身份证.jpg", pdf(pages=2), LIMITS)
    assert (scanned.media_type, scanned.pages) == ("application/pdf", 2)
    assert examine(DIPLOMA, "d.pdf", jpeg(), LIMITS).media_type == "image/jpeg"  # the name says nothing
    assert examine(DIPLOMA, "d", png(), LIMITS).media_type == "image/png"


def test_the_photo_slot_takes_a_one_inch_photo_only() -> None:
    assert examine(PHOTO, "p.jpg", jpeg((295, 413)), LIMITS).media_type == "image/jpeg"
    assert examine(PHOTO, "p.png", png((390, 567)), LIMITS).pages == 1  # 一寸 at 390 dpi
    with pytest.raises(Refused) as err:
        examine(PHOTO, "p.pdf", pdf(), LIMITS)
    assert err.value.refusals[0].message == "一寸免冠照：文件“p.pdf”不是 JPEG、PNG 文件（按文件内容判断，不看扩展名）"
    for size, said in (((200, 280), "只有 200×280 像素"), ((413, 295), "不是一寸照片的比例"),
                       ((600, 600), "不是一寸照片的比例")):
        with pytest.raises(Refused) as err:
            examine(PHOTO, "p.jpg", jpeg(size), LIMITS)
        assert said in err.value.refusals[0].message and err.value.refusals[0].field == "photo"


def test_a_slot_may_take_less_than_the_notice_allows_any_file() -> None:
    small = Place("x", Slot("x", "小文件", max_bytes=1024), "小文件")
    with pytest.raises(Refused) as err:
        examine(small, "big.pdf", pdf() + b"\0" * 2048, LIMITS)
    assert err.value.refusals[0].rule == "material.size" and "超过 0 MB" not in err.value.refusals[0].message


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
    kept = examine(DIPLOMA, "photo.jpg", taken, LIMITS)
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
    assert examine(ID_SCAN, "scan.pdf", raw, LIMITS).pages == 1
    assert _refusal(raw.replace(b"/JSKQWE", b"/JS QWE")).startswith("material.pdf")
