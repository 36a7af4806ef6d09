"""Where the applicants' files are kept: a port with two real stores, named by content.

Every object is named by the SHA-256 of its bytes (``objects/ab/abcd…``): the same bytes
twice are one object, a name is never what the uploader called the file, and a re-read
can tell a changed object from its name alone. The database holds what describes a file;
the store holds only bytes.

- ``FolderStore``: a private folder (0700, files 0600). An object is written to a
  temporary name, flushed to the disk and renamed into place, so it is whole or absent.
- ``S3Store``: any S3-compatible object storage (MinIO, Alibaba Cloud OSS, Tencent COS)
  through the ``minio`` client, by a URL such as ``s3+http://KEY:SECRET@host:9000/bucket``
  (``s3://`` for HTTPS).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

SHA256 = re.compile(r"^[0-9a-f]{64}$")
T = TypeVar("T")


class StoreUnavailable(Exception):
    """The store could not be reached or answered with an error: nothing was changed."""


class MissingObject(LookupError):
    """No object by that name: a row describes a file the store does not hold."""

    said = "材料文件在存储中缺失或已被改动；请管理员运行 chuding materials verify 并从备份恢复"


class MaterialStore(Protocol):
    """Content-addressed bytes: put (idempotent), get, whether one exists, every name."""

    where: str  # the store as shown to staff, without secrets

    def put(self, sha256: str, data: bytes) -> None: ...  # stores, or marks the object new again
    def get(self, sha256: str) -> bytes: ...
    def exists(self, sha256: str) -> bool: ...
    def listing(self) -> Iterator[tuple[str, datetime]]: ...  # every object and when it was stored
    def delete(self, sha256: str) -> None: ...
    def forget_partial(self, before: datetime) -> int: ...  # what writers killed mid-way left


def names(store: MaterialStore) -> list[str]:
    return [name for name, _ in store.listing()]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _object(sha256: str) -> str:
    if not SHA256.match(sha256):
        raise ValueError(f"not a SHA-256 name: {sha256[:80]!r}")
    return f"objects/{sha256[:2]}/{sha256}"


class FolderStore:
    """A private folder of objects; the embedded default, beside the SQLite file."""

    def __init__(self, root: Path):
        self.root = root
        self.where = str(root)

    def _dir(self, path: Path) -> Path:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path

    def put(self, sha256: str, data: bytes) -> None:
        final = self.root / _object(sha256)
        if final.exists():
            os.utime(final)  # kept already; new again, so no collection of the unnamed takes it now
            return
        temporary = self._dir(self.root / "tmp") / f"{sha256}.{secrets.token_hex(8)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self._dir(final.parent) / final.name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        directory = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)

    def get(self, sha256: str) -> bytes:
        try:
            return (self.root / _object(sha256)).read_bytes()
        except FileNotFoundError:
            raise MissingObject(sha256) from None

    def exists(self, sha256: str) -> bool:
        return (self.root / _object(sha256)).is_file()

    def listing(self) -> Iterator[tuple[str, datetime]]:
        for path in sorted((self.root / "objects").glob("*/*")):
            stored_at = _modified(path)
            if SHA256.match(path.name) and stored_at is not None:
                yield path.name, stored_at

    def delete(self, sha256: str) -> None:
        (self.root / _object(sha256)).unlink(missing_ok=True)

    def forget_partial(self, before: datetime) -> int:
        """Temporary files a writer killed mid-way (kill -9, a power cut) left behind."""
        removed = 0
        for path in (self.root / "tmp").glob("*"):
            written_at = _modified(path)
            if written_at is not None and written_at < before:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _modified(path: Path) -> datetime | None:
    """When a file was last written; None once another process has renamed or removed it."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return None


class S3Store:
    """Objects in one bucket of an S3-compatible server (made if it does not exist)."""

    def __init__(self, url: str, timeout: float = 10.0):
        import urllib3
        from minio import Minio

        parts = urlsplit(url)
        if parts.scheme not in ("s3", "s3+http", "s3+https") or not parts.hostname or not parts.path.strip("/"):
            raise ValueError("the materials URL must be s3://KEY:SECRET@host[:port]/bucket (s3+http:// without TLS)")
        self.bucket = parts.path.strip("/")
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.where = f"{parts.scheme}://{host}/{self.bucket}"
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout, read=timeout),
                                   retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504)))
        self.client = Minio(host, access_key=unquote(parts.username or ""), secret_key=unquote(parts.password or ""),
                            secure=parts.scheme != "s3+http", http_client=http)
        self._bucket_ready = False

    def _call(self, what: str, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``action`` on the server; its failures as this store's own two errors."""
        from minio.error import S3Error
        from urllib3.exceptions import HTTPError

        try:
            return action(*args, **kwargs)
        except S3Error as err:
            if err.code in ("NoSuchKey", "NoSuchObject"):
                raise MissingObject(args[1] if len(args) > 1 else what) from None
            raise StoreUnavailable(f"材料存储（{self.where}）{what}失败：{err.code}") from None
        except (HTTPError, OSError) as err:
            raise StoreUnavailable(f"材料存储（{self.where}）{what}失败：无法连接（{type(err).__name__}）") from None

    def _ready(self) -> None:
        if not self._bucket_ready:
            if not self._call("检查存储桶", self.client.bucket_exists, self.bucket):
                self._call("创建存储桶", self.client.make_bucket, self.bucket)
            self._bucket_ready = True

    def put(self, sha256: str, data: bytes) -> None:
        import io

        self._ready()
        # Whole or absent: a single PUT is stored only once the server has every byte. The
        # same bytes again replace themselves, which marks the object new again.
        self._call("写入", self.client.put_object, self.bucket, _object(sha256), io.BytesIO(data), len(data))

    def get(self, sha256: str) -> bytes:
        response = self._call("读取", self.client.get_object, self.bucket, _object(sha256))
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    def exists(self, sha256: str) -> bool:
        try:
            self._call("查询", self.client.stat_object, self.bucket, _object(sha256))
        except MissingObject:
            return False
        return True

    def listing(self) -> Iterator[tuple[str, datetime]]:
        self._ready()
        listed = self._call("列出", self.client.list_objects, self.bucket, prefix="objects/", recursive=True)
        for item in listed:
            name = (item.object_name or "").rsplit("/", 1)[-1]
            if SHA256.match(name) and item.last_modified is not None:
                yield name, item.last_modified

    def delete(self, sha256: str) -> None:
        self._call("删除", self.client.remove_object, self.bucket, _object(sha256))

    def forget_partial(self, before: datetime) -> int:
        """Nothing: a PUT the server did not finish stores nothing."""
        return 0


def open_store(materials_url: str | None, database_url: str) -> MaterialStore:
    """The store the settings name: an S3 URL, a folder (``file:///path``), or by default a
    folder beside the SQLite file (``chuding.sqlite3`` → ``chuding-materials/``). On
    PostgreSQL the replicas share no disk: the place must be named."""
    if materials_url:
        if materials_url.startswith("file://"):
            return FolderStore(Path(unquote(urlsplit(materials_url).path)))
        return S3Store(materials_url)
    if not database_url.startswith("sqlite"):
        raise ValueError("CHUDING_MATERIALS_URL: on PostgreSQL name where materials are kept"
                         " (s3://… or a folder every replica shares, file:///…)")
    database = Path(database_url.split("///", 1)[-1])
    return FolderStore(database.with_name(database.stem + "-materials"))
