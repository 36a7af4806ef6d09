"""What an uploaded file is, told by its content: a PDF, a JPEG or a PNG within the
notice's limits, or a refusal naming the slot, the file and the rule.

PDFs are opened with pypdf and refused when encrypted, when they carry JavaScript,
launch actions or embedded files, or have more pages than allowed. Images are opened
with Pillow, refused past a pixel count before they are decoded (a decompression bomb),
and stored re-encoded without their metadata (a phone's photo carries where it was
taken), turned upright first as the phone said.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from states.materials import Place
from states.notice import UploadLimits
from states.refusals import Refusal, Refused

MEDIA_TYPES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
# Markers of active content that pypdf's reading of the catalogue may not reach (an
# object stream a damaged file hides): refused as well when they stand in the bytes, as
# whole names (a font subset such as /JSKQWE+SimSun is not /JS). One pass for all.
ACTIVE_PDF = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?=[\s()<>\[\]{}/%]|$)")


@dataclass(frozen=True)
class Scan:
    """A file as it is kept: its bytes (images without metadata), what it is, its pages,
    and the SHA-256 that names it (computed once)."""

    data: bytes
    media_type: str
    pages: int
    sha256: str


def _kept(data: bytes, media_type: str, pages: int) -> Scan:
    return Scan(data, media_type, pages, hashlib.sha256(data).hexdigest())


def examine(place: Place, file_name: str, data: bytes, limits: UploadLimits) -> Scan:
    """The file as it will be stored, or ``Refused`` naming the slot, the file and the rule."""
    def refused(rule: str, message: str) -> Refused:
        return Refused([Refusal(f"material.{rule}", f"{place.label}：文件“{file_name}”{message}", place.key)])

    slot = place.slot
    largest = min(limits.file_bytes, slot.max_bytes or limits.file_bytes)
    if not data:
        raise refused("empty", "是空文件")
    if len(data) > largest:
        # A reader that stops one byte past the limit does not know the true size.
        shown = f"（实有 {_size(len(data))}）" if len(data) > largest + 1 else ""
        raise refused("size", f"超过 {_size(largest)}{shown}")
    media_type = next((kind for magic, kind in MEDIA_TYPES.items() if data.startswith(magic)), None)
    if media_type not in slot.media_types:
        kinds = "、".join(k.upper() for k in slot.kinds)
        raise refused("kind", f"不是 {kinds} 文件（按文件内容判断，不看扩展名）")
    if media_type == "application/pdf":
        problem, pages = _pdf_problem(data, limits.pdf_pages)
        if problem:
            raise refused("pdf", problem)
        return _kept(data, media_type, pages)
    image, problem = _clean_image(data, media_type, limits.image_pixels, slot.photo)
    if problem:
        raise refused("image", problem)
    return _kept(image, media_type, 1)


def _pdf_problem(data: bytes, max_pages: int) -> tuple[str | None, int]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if ACTIVE_PDF.search(data):
        return "含有脚本、嵌入文件或启动动作，不予接收；请打印后重新扫描为 PDF", 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns of damage it repairs
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                return "已加密或设有密码，无法审阅；请去除密码后重新上传", 0
            pages = len(reader.pages)
            if pages > max_pages:
                return f"有 {pages} 页，超过每个文件 {max_pages} 页的上限", pages
            active = _active_content(reader)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        return "无法作为 PDF 打开（文件已损坏或格式不符）", 0
    if active:
        return "含有脚本、嵌入文件或启动动作，不予接收；请打印后重新扫描为 PDF", 0
    if pages == 0:
        return "没有任何页面", 0
    return None, pages


def _active_content(reader: object) -> bool:
    """Scripts, embedded files or actions anywhere pypdf reads them: the catalogue's name
    trees and open action, an XFA form, each page's actions and its annotations' actions."""
    catalogue = reader.trailer["/Root"]  # type: ignore[attr-defined]
    names = catalogue.get("/Names", {})
    if "/JavaScript" in names or "/EmbeddedFiles" in names or "/XFA" in catalogue.get("/AcroForm", {}):
        return True
    actions = [catalogue.get("/OpenAction", {}), catalogue.get("/AA", {})]
    for page in reader.pages:  # type: ignore[attr-defined]
        actions.append(page.get("/AA", {}))
        actions += [annotation.get_object().get("/A", {}) for annotation in page.get("/Annots", []) or []]
    return any(word in str(action) for action in actions for word in ("/JavaScript", "/Launch", "/JS"))


# A 一寸 photo is 25 × 35 mm; printed at 300 dpi that is 295 × 413 pixels. A photo whose
# proportions are off by more than this is not one (a full-length snapshot, a scan of a page).
PHOTO_MIN_PIXELS = (295, 413)
PHOTO_RATIO = (0.64, 0.79)  # width / height, around 5 / 7


def _photo_problem(width: int, height: int) -> str | None:
    if not PHOTO_RATIO[0] <= width / height <= PHOTO_RATIO[1]:
        return f"宽高为 {width}×{height}，不是一寸照片的比例（宽∶高约 5∶7，竖版）"
    if width < PHOTO_MIN_PIXELS[0] or height < PHOTO_MIN_PIXELS[1]:
        return (f"只有 {width}×{height} 像素，一寸照片须至少 {PHOTO_MIN_PIXELS[0]}×{PHOTO_MIN_PIXELS[1]} 像素"
                "（300 dpi）")
    return None


def _size(count: int) -> str:
    return f"{count / 1048576:.1f} MB" if count >= 1048576 else f"{max(1, round(count / 1024))} KB"


def _clean_image(data: bytes, media_type: str, max_pixels: int, photo: bool = False) -> tuple[bytes, str | None]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size  # read from the header: nothing decoded yet
                if width * height > max_pixels:
                    return b"", f"有 {width}×{height} 像素，超过 {max_pixels // 1_000_000} 百万像素的上限"
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                upright = ImageOps.exif_transpose(image)
                if photo and (problem := _photo_problem(*upright.size)):
                    return b"", problem
                out = io.BytesIO()
                if media_type == "image/jpeg":
                    upright.convert("RGB").save(out, "JPEG", quality=90)  # no EXIF, no GPS, no comment
                else:
                    upright.save(out, "PNG")  # no text chunks, no eXIf
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # Pillow's own, lower bound
        return b"", f"像素过多，超过 {max_pixels // 1_000_000} 百万像素的上限"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return b"", "无法作为图片打开（文件已损坏或格式不符）"
    return out.getvalue(), None
