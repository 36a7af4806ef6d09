"""The files an import names, given beside it as a folder or a zip: each read by the name
the record gives, never outside what was given.

A name is a relative path with ``/`` between its parts: no drive, no leading ``/``, no
``..``, no control characters. In a folder the file must be a regular file under it once
links are followed; in a zip, an entry of exactly that name, read no further than the
largest file a notice allows (a zip's declared sizes are not trusted).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import IO

from states.notice import LARGEST_FILE_MB

READ_AT_MOST = LARGEST_FILE_MB * 1024 * 1024 + 1  # one byte more tells a file over any limit
# The largest zip the import page takes beside its file: a unit's batch of applications
# with their scans (a few MB each); a whole county's year is imported in batches.
ZIP_BYTES = 200 * 1024 * 1024


class AttachedProblem(ValueError):
    """A named file that cannot be read: the message says why, in Chinese."""


@dataclass(frozen=True)
class Attached:
    """A folder or an opened zip the import's records name files in."""

    folder: Path | None = None
    archive: zipfile.ZipFile | None = None

    @classmethod
    def open(cls, path: Path) -> Attached:
        if path.is_dir():
            return cls(folder=path.resolve())
        try:
            return cls(archive=zipfile.ZipFile(path))
        except (zipfile.BadZipFile, OSError) as err:
            raise AttachedProblem(f"{path.name}：既不是文件夹也不是 zip 压缩包（{type(err).__name__}）") from None

    @classmethod
    def from_file(cls, file: IO[bytes]) -> Attached:
        """A zip as an open file (the page's upload, spooled to disk by the server)."""
        try:
            return cls(archive=zipfile.ZipFile(file))
        except (zipfile.BadZipFile, OSError):
            raise AttachedProblem("不是 zip 压缩包") from None

    def read(self, name: str, at_most: int = READ_AT_MOST) -> bytes:
        """The file's bytes, no more than ``at_most`` of them (one more than any limit
        tells a file over it without reading, or inflating, the rest)."""
        parts = _parts(name)
        if self.folder is not None:
            path = self.folder.joinpath(*parts).resolve()
            if not path.is_relative_to(self.folder) or not path.is_file():
                raise AttachedProblem(f"所附文件夹中没有文件“{name}”")
            with path.open("rb") as f:
                return f.read(at_most)
        assert self.archive is not None
        info = self.entries.get("/".join(parts))
        if info is None:
            raise AttachedProblem(f"所附压缩包中没有文件“{name}”")
        try:
            with self.archive.open(info) as f:
                return f.read(at_most)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as err:
            raise AttachedProblem(f"压缩包中的“{name}”无法读取（已损坏或已加密：{type(err).__name__}）") from None

    @cached_property
    def entries(self) -> dict[str, zipfile.ZipInfo]:
        """The zip's files by their names as a record gives them (``./`` parts aside; an
        entry naming ``..`` keeps it, so it matches no name a record may give), listed once."""
        assert self.archive is not None
        return {"/".join(p for p in PurePosixPath(i.filename).parts if p != "."): i
                for i in self.archive.infolist() if not i.is_dir()}

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


def _parts(name: str) -> tuple[str, ...]:
    path = PurePosixPath(name.replace("\\", "/"))
    bad = (not name or len(name) > 255 or path.is_absolute() or ":" in name
           or any(not c.isprintable() for c in name) or any(p in ("..", "") for p in path.parts))
    if bad:
        raise AttachedProblem(f"文件名“{name[:80]!r}”须为所附文件夹内的相对路径（不含 ..、盘符或控制字符）")
    return tuple(p for p in path.parts if p != ".")
