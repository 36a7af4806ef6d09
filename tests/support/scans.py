"""Files people upload, good and hostile, made in memory: PDFs by pypdf, images by Pillow."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript


def pdf(pages: int = 1, javascript: str | None = None, password: str | None = None,
        attachment: bytes | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:
        writer.add_open_action(JavaScript(javascript))
    if attachment is not None:
        writer.add_attachment("payload.exe", attachment)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def padded_pdf(size: int) -> bytes:
    """A one-page PDF of about ``size`` bytes of incompressible content: new bytes each time."""
    import secrets

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Padding": secrets.token_hex(size // 2 - 600)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (60, 40), gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (41.0, 46.0, 30.0), 3: "E", 4: (84.0, 15.0, 0.0)}  # GPSInfo: 轮台县
        exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (30, 30), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()
