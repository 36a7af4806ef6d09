"""`backup` and `restore`: the database and the applicants' files, copied together with a
manifest of their hashes, and put back only whole and only into an empty place.

A backup is made in this order: the database (SQLite's online backup API; on PostgreSQL a
``pg_dump`` custom archive, one consistent snapshot), then every file a row names, read
from the store and re-hashed, then the manifest, written last under a temporary name and
renamed. A folder without a manifest is an unfinished backup. Rows naming files are
never deleted (every version is kept), so the files named after the dump include every
file the dump names.

A restore first checks the whole backup against its manifest (every hash, every size,
nothing missing) and that the database and the store are empty; only then does it write,
the database first, then the files. A fraud finding may be appealed years later: what a
backup holds must be what was there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from states.refusals import Refusal, Refused
from states.values import Role
from workflow.store.audit import audit
from workflow.store.db import SCHEMA_HEAD, make_engine, upgrade
from workflow.store.materials import MaterialStore, MissingObject, names, sha256_of
from workflow.store.tables import MATERIAL_FILES
from workflow.usecases.access import Who, acting

MANIFEST = "manifest.json"
FORMAT = 1  # the layout of a backup folder; a restore refuses one it does not know
DATABASE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
OBJECTS = "materials"


def backup(engine: sa.Engine, store: MaterialStore, who: Who, target: Path, now: datetime) -> dict[str, Any]:
    """`backup DIR` (administrators): a consistent copy of the database and every file."""
    with engine.begin() as conn:
        actor = acting(conn, who, Role.ADMINISTRATOR)
        audit(conn, actor.login, "backup", str(target)[-200:])  # who took everyone's data, and where
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Refused([Refusal("backup.target", f"{target} 已存在且不是空文件夹：请指定新的备份文件夹", "dir")])
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.chmod(0o700)  # an empty folder given may be open to others; the copies are written inside
    kind = _kind(engine)
    database = target / DATABASE[kind]
    if kind == "sqlite":
        _sqlite_copy(engine, database)
    else:
        _pg_dump(engine, database)
    with engine.connect() as conn:
        named = sorted(set(conn.execute(sa.select(MATERIAL_FILES.c.sha256)).scalars()))
    sizes: dict[str, int] = {}
    for sha in named:
        data = store.get(sha)
        if sha256_of(data) != sha:
            raise MissingObject(f"{sha} (changed in the store)")
        _private_write(target / OBJECTS / sha[:2] / sha, data)
        sizes[sha] = len(data)
    manifest = {"format": FORMAT, "made_at": now.isoformat(), "schema": SCHEMA_HEAD,
                "database": {"kind": kind, "file": database.name, "sha256": _file_sha(database),
                             "size": database.stat().st_size},
                "materials": sizes}
    _private_write(target / MANIFEST, json.dumps(manifest, indent=1).encode())
    return {"ok": True, "dir": str(target), "database": kind, "files": len(sizes),
            "bytes": database.stat().st_size + sum(sizes.values())}


def restore(url: str, store: MaterialStore, source: Path) -> dict[str, Any]:
    """`restore DIR`: the backup checked whole, into an empty database and an empty store."""
    manifest, problems = _checked(source)
    engine = make_engine(url, create=True)
    try:
        kind = _kind(engine)
        if manifest and manifest["database"]["kind"] != kind:
            problems.append(f"备份是 {manifest['database']['kind']} 数据库，目标是 {kind}：请恢复到同一种数据库")
        problems += _not_empty(engine, store)
        if problems:
            raise Refused([Refusal("restore.refused", p, "dir") for p in problems])
        database = source / manifest["database"]["file"]
        if kind == "sqlite":
            engine.dispose()  # the file is written whole by SQLite's own copy, then opened again
            with sqlite3.connect(database) as src, sqlite3.connect(_sqlite_path(engine)) as dst:
                src.backup(dst)
        else:
            _pg_restore(engine, database)
        upgrade(engine)  # a backup from an older chuding is brought to this one's schema
        for sha in manifest["materials"]:
            store.put(sha, (source / OBJECTS / sha[:2] / sha).read_bytes())
    finally:
        engine.dispose()
    return {"ok": True, "dir": str(source), "database": kind, "files": len(manifest["materials"]),
            "made_at": manifest["made_at"]}


def _checked(source: Path) -> tuple[dict[str, Any], list[str]]:
    """The manifest, and every way the folder differs from it (all of them, not the first)."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, [f"{source} 中没有 {MANIFEST}：不是备份文件夹，或备份未完成"]
    except (OSError, ValueError) as err:
        return {}, [f"{MANIFEST} 无法读取（{type(err).__name__}）：备份已损坏"]
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return {}, [f"{MANIFEST} 不是本程序认识的备份格式（format {FORMAT}）"]
    if str(manifest.get("schema", "")) > SCHEMA_HEAD:
        return {}, [f"备份来自更新版本的 chuding（数据库结构 {manifest['schema']}，本程序 {SCHEMA_HEAD}）：请先升级"]
    problems = []
    db = manifest["database"]
    path = source / str(db["file"])
    if Path(str(db["file"])).name != db["file"] or db["file"] not in DATABASE.values():
        problems.append(f"数据库文件名 {db['file']!r} 不对")
    elif not path.is_file():
        problems.append(f"缺少数据库文件 {db['file']}")
    elif path.stat().st_size != db["size"] or _file_sha(path) != db["sha256"]:
        problems.append(f"数据库文件 {db['file']} 与清单不符（已损坏或被改动）")
    for sha, size in manifest["materials"].items():
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            problems.append(f"清单中的文件名 {sha[:70]!r} 不是 SHA-256")
            continue
        kept = source / OBJECTS / sha[:2] / sha
        if not kept.is_file():
            problems.append(f"缺少材料文件 {sha[:12]}…")
        elif kept.stat().st_size != size or _file_sha(kept) != sha:
            problems.append(f"材料文件 {sha[:12]}… 与清单不符（已损坏或被改动）")
    return manifest, problems


def _not_empty(engine: sa.Engine, store: MaterialStore) -> list[str]:
    found = []
    tables = sa.inspect(engine).get_table_names()
    if tables:
        found.append(f"目标数据库不是空的（已有 {len(tables)} 张表）：请恢复到新建的空数据库")
    if names(store):
        found.append(f"目标材料存储不是空的（{store.where}）：请恢复到新的空存储")
    return found


def _kind(engine: sa.Engine) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def _sqlite_path(engine: sa.Engine) -> str:
    return str(engine.url.database)


def _sqlite_copy(engine: sa.Engine, database: Path) -> None:
    """SQLite's online backup: a consistent copy while others may be writing."""
    with engine.connect() as conn:
        source = conn.connection.driver_connection
        with sqlite3.connect(database) as copy:
            source.backup(copy)  # type: ignore[union-attr]
        copy.close()
    database.chmod(0o600)


def _libpq(engine: sa.Engine) -> tuple[str, dict[str, str]]:
    """The database as PostgreSQL's own tools name it; the password in their environment
    (which holds nothing else), never on a command line others may read."""
    url = engine.url
    env = {"PGPASSWORD": str(url.password)} if url.password else {}
    query = "&".join(f"{k}={v}" for k, v in url.query.items() if isinstance(v, str))
    host = f"{url.host or ''}" + (f":{url.port}" if url.port else "")
    return f"postgresql://{url.username or ''}@{host}/{url.database}" + (f"?{query}" if query else ""), env


def _tool(name: str) -> str:
    import glob

    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if found is None:
        raise Refused([Refusal("backup.tool", f"没有找到 PostgreSQL 的 {name}：请安装 postgresql-client", "database")])
    return found


def _pg_dump(engine: sa.Engine, database: Path) -> None:
    dsn, env = _libpq(engine)
    done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                           f"--file={database}", f"--dbname={dsn}"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise Refused([Refusal("backup.pg_dump", f"pg_dump 失败：{done.stderr.strip()[-300:]}", "database")])
    database.chmod(0o600)


def _pg_restore(engine: sa.Engine, database: Path) -> None:
    dsn, env = _libpq(engine)
    done = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                           "--single-transaction", f"--dbname={dsn}", str(database)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise Refused([Refusal("restore.pg_restore", f"pg_restore 失败：{done.stderr.strip()[-300:]}", "database")])


def _private_write(path: Path, data: bytes) -> None:
    """Whole or absent, readable by its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
