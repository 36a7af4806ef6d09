"""Filling a Word template, and turning a Word file into PDF.

A placeholder the data does not fill is an error naming it, never blank output. The PDF
is made by LibreOffice headless (Debian's ``libreoffice-writer``, with ``fonts-noto-cjk``
for Chinese), each conversion in a profile of its own so that two can run at once.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"
SOFFICE = ("soffice", "libreoffice")
CONVERT_SECONDS = 120


class DocumentError(RuntimeError):
    """A document could not be made: a placeholder without data, or no converter."""


def render_docx(name: str, context: dict[str, Any], folder: Path | None = None) -> bytes:
    """The template ``name`` (a file in ``folder``, else the built-in one) filled with ``context``."""
    import jinja2
    from docxtpl import DocxTemplate

    path = (folder / f"{name}.docx") if folder and (folder / f"{name}.docx").exists() else TEMPLATES / f"{name}.docx"
    template = DocxTemplate(str(path))
    try:
        template.render(context, jinja_env=jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True))
    except jinja2.UndefinedError as err:  # a placeholder, or a field of a row, the data lacks
        raise DocumentError(f"template {path.name}: no data for {err}") from None
    out = BytesIO()
    template.save(out)
    return out.getvalue()


def converter() -> str:
    found = next((shutil.which(name) for name in SOFFICE if shutil.which(name)), None)
    if found is None:
        raise DocumentError("PDF needs LibreOffice: install Debian's libreoffice-writer and fonts-noto-cjk")
    return found


def to_pdf(docx: bytes) -> bytes:
    """The Word file as PDF, converted by LibreOffice headless in a private profile."""
    soffice = converter()
    with tempfile.TemporaryDirectory(prefix="chuding-pdf-") as tmp:
        folder = Path(tmp)
        (folder / "document.docx").write_bytes(docx)
        done = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(folder), str(folder / "document.docx")],
            capture_output=True, timeout=CONVERT_SECONDS, check=False)
        result = folder / "document.pdf"
        if done.returncode != 0 or not result.exists():
            said = done.stderr.decode(errors="replace")[-300:]
            raise DocumentError(f"LibreOffice could not convert the document: {said}")
        return result.read_bytes()
