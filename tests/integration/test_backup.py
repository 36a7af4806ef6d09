"""The backup drill: a campaign with its files backed up, destroyed, restored from the
backup into an empty database and store, and every file verified and shown as before —
on both databases and both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from states.refusals import Refused
from states.values import Event
from tests.support.helpers import bj, engineer, teacher
from tests.support.scans import pdf
from tests.support.world import World
from workflow.runtime.bootstrap import bootstrap
from workflow.runtime.settings import Settings
from workflow.store.materials import MaterialStore, names, open_store
from workflow.store.tables import AUDIT, HISTORY
from workflow.usecases.backup import backup, restore
from workflow.usecases.materials import Upload, add_materials, materials_for, verify_materials

NOW = bj(2024, 10, 9, 10)


def _files(engine: sa.Engine, case: int) -> dict[str, list[tuple[str, int, str]]]:
    """What the case page shows of each slot: its files' names, versions and hashes."""
    return {s["slot"]: [(f["file_name"], f["version"], f["sha256"]) for f in s["files"]]
            for s in materials_for(engine, "admin", case)["slots"]}


def test_a_backup_restores_into_an_empty_place_with_every_file(
        engine: sa.Engine, store: MaterialStore, materials_url: str, databases: object, tmp_path: Path) -> None:
    world = World(engine, store)
    world.import_([engineer(), teacher()], now=NOW)
    add_materials(engine, store, "clerk", 1, "id_scan", [Upload("新的身份证.pdf", pdf(pages=2))], NOW)  # a 2nd version
    world.run(1, Event.SUBMIT, "clerk", NOW)
    before = {case: _files(engine, case) for case in (1, 2)}
    with pytest.raises(Refused):
        backup(engine, store, "clerk", tmp_path / "nope", NOW)  # administrators only
    done = backup(engine, store, "admin", tmp_path / "backup", NOW)
    assert done["files"] == len(names(store)) and done["files"] >= 20
    folder = tmp_path / "backup"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in folder.rglob("*") if p.is_file())
    with engine.connect() as conn:
        assert conn.execute(sa.select(AUDIT.c.actor).where(AUDIT.c.action == "backup")).scalars().all() == ["admin"]

    # The disaster: the original database and files are gone; a new, empty place is given.
    kind = engine.dialect.name if engine.dialect.name == "sqlite" else "postgresql"
    target_url = databases.empty_url(kind)  # type: ignore[attr-defined]
    target_store = open_store(materials_url + "-restored" if materials_url.startswith("file:") else
                              materials_url.rsplit("/", 1)[0] + "/r" + materials_url.rsplit("/", 1)[1][1:], "")
    restored = restore(target_url, target_store, folder)
    assert restored["files"] == done["files"]
    again = bootstrap(Settings(database_url=target_url)).engine(require=True)
    try:
        assert {case: _files(again, case) for case in (1, 2)} == before  # the pages show the same files
        report = verify_materials(again, target_store, "admin")
        assert report["ok"] and report["checked"] == done["files"] and report["unnamed"] == []
        with again.connect() as conn:
            events = conn.execute(sa.select(HISTORY.c.event).where(HISTORY.c.case_id == 1)
                                  .order_by(HISTORY.c.id)).scalars().all()
        assert events == [h.event for h in world.history(1)] and events[-1] == "submit"
    finally:
        again.dispose()
    with pytest.raises(Refused, match="目标数据库不是空的"):
        restore(target_url, open_store(f"file://{tmp_path / 'elsewhere'}", ""), folder)  # never over data


def test_a_damaged_or_unfinished_backup_is_refused_naming_each_fault_and_writes_nothing(
        engine: sa.Engine, store: MaterialStore, databases: object, tmp_path: Path) -> None:
    world = World(engine, store)
    world.import_([engineer()], now=NOW)
    folder = tmp_path / "backup"
    backup(engine, store, "admin", folder, NOW)
    manifest = json.loads((folder / "manifest.json").read_text())
    first, second = sorted(manifest["materials"])[:2]
    (folder / "materials" / first[:2] / first).write_bytes(b"changed")
    (folder / "materials" / second[:2] / second).unlink()
    kind = engine.dialect.name if engine.dialect.name == "sqlite" else "postgresql"
    target_url = databases.empty_url(kind)  # type: ignore[attr-defined]
    target = open_store(f"file://{tmp_path / 'restored'}", "")
    with pytest.raises(Refused) as err:
        restore(target_url, target, folder)
    said = [r.message for r in err.value.refusals]
    assert f"材料文件 {first[:12]}… 与清单不符（已损坏或被改动）" in said and f"缺少材料文件 {second[:12]}…" in said
    assert names(target) == []
    check = sa.create_engine(target_url)
    assert sa.inspect(check).get_table_names() == []  # nothing written
    check.dispose()
    (folder / "manifest.json").unlink()  # a backup cut short has no manifest
    with pytest.raises(Refused, match="不是备份文件夹，或备份未完成"):
        restore(target_url, target, folder)
    with pytest.raises(Refused, match="不是空文件夹"):
        backup(engine, store, "admin", folder, NOW)
