"""The applicant's files: kept by content in a real store (a folder, or an S3 server the
tests start), described by rows on both databases, frozen at submission, shown only to
those who may see the case, and every view recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from states.refusals import Refused
from states.values import Event
from tests.support.helpers import bj, engineer, teacher
from tests.support.scans import jpeg, pdf
from tests.support.world import UNIT_OF, World
from workflow.store.cases import CaseNotFound
from workflow.store.materials import (
    FolderStore,
    MaterialStore,
    MissingObject,
    S3Store,
    StoreUnavailable,
    names,
    sha256_of,
)
from workflow.store.tables import AUDIT
from workflow.usecases.materials import Upload, add_materials, material_for, materials_for, verify_materials

NOW = bj(2024, 10, 8, 9)


def test_a_store_keeps_bytes_by_their_content(store: MaterialStore) -> None:
    data = pdf()
    name = sha256_of(data)
    store.put(name, data)
    store.put(name, data)  # the same bytes again: nothing new
    assert store.get(name) == data and store.exists(name)
    assert names(store) == [name]
    with pytest.raises(MissingObject):
        store.get(sha256_of(b"never stored"))
    assert not store.exists(sha256_of(b"never stored"))
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_a_folder_store_is_private_and_leaves_no_partial_file(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "materials")
    data = jpeg()
    store.put(sha256_of(data), data)
    kept = tmp_path / "materials" / "objects" / sha256_of(data)[:2] / sha256_of(data)
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    assert oct(kept.parent.stat().st_mode & 0o777) == "0o700"
    assert list((tmp_path / "materials" / "tmp").iterdir()) == []


def test_an_s3_server_that_does_not_answer_is_a_clear_error(tmp_path: Path) -> None:
    from tests.support.pgserver import free_port

    store = S3Store(f"s3+http://key:secret@127.0.0.1:{free_port()}/nowhere", timeout=1)
    with pytest.raises(StoreUnavailable, match="无法连接"):
        store.put(sha256_of(b"x"), b"x")
    with pytest.raises(StoreUnavailable, match="无法连接"):
        store.get(sha256_of(b"x"))


@pytest.fixture
def world(engine: sa.Engine, store: MaterialStore) -> World:
    world = World(engine, store)
    world.import_([engineer(), teacher()], files=False)  # no file yet: each test uploads its own
    return world


def _unit_of(world: World, case: int) -> str:
    from workflow.reads.cases import case_for

    return str(case_for(world.engine, "admin", case, NOW)["unit"])


def test_files_of_a_slot_are_versions_frozen_at_submission(world: World, store: MaterialStore) -> None:
    engine = world.engine
    first = add_materials(engine, store, "clerk", 1, "id_scan", [Upload("身份证正面.pdf", pdf())], NOW)
    again = add_materials(engine, store, "clerk", 1, "id_scan",
                          [Upload("../../正面\x1b[2J" + "长" * 300 + ".pdf", pdf(pages=2)),
                           Upload("背面.jpg", jpeg())], NOW)
    assert (first["version"], again["version"]) == (1, 2)
    assert [f["part"] for f in again["files"]] == [1, 2]
    name = again["files"][0]["file_name"]
    assert "/" not in name and "\x1b" not in name and len(name) <= 120  # shown as text, never a path
    add_materials(engine, store, "clerk", 2, "diploma-1", [Upload("d.pdf", pdf())], NOW)  # same bytes as before
    assert len(names(store)) == 3  # one object for the same bytes, wherever they were uploaded
    [id_scan] = [s for s in materials_for(engine, "reviewer", 1)["slots"] if s["slot"] == "id_scan"]
    assert [f["pages"] for f in id_scan["files"]] == [2, 1] and id_scan["files"][0]["version"] == 2
    assert [h.event for h in world.history(1)].count("material_added") == 2
    with pytest.raises(Refused) as err:
        world.run(1, Event.SUBMIT, "clerk", NOW)  # the other slots are still empty
    assert {r.field for r in err.value.refusals} >= {"materials.photo", "materials.diploma-1",
                                                     "materials.assessment-2023"}
    assert "materials.id_scan" not in {r.field for r in err.value.refusals}
    world.give_files(1, NOW)
    world.run(1, Event.SUBMIT, "clerk", NOW)
    with pytest.raises(Refused) as err:
        add_materials(engine, store, "clerk", 1, "id_scan", [Upload("late.pdf", pdf(pages=3))], NOW)
    assert [r.rule for r in err.value.refusals] == ["material.frozen"]
    report = verify_materials(engine, store, "admin")
    assert report["ok"] and report["unnamed"] == []  # refused before a byte was stored


def test_a_file_is_shown_to_those_who_may_see_the_case_and_each_view_is_recorded(
        world: World, store: MaterialStore) -> None:
    engine = world.engine
    scan = pdf(pages=2)
    add_materials(engine, store, "clerk", 1, "id_scan", [Upload("id.pdf", scan)], NOW)
    meta, data = material_for(engine, store, "reviewer", 1, "id_scan")
    assert data == scan and meta["media_type"] == "application/pdf"
    own = UNIT_OF[_unit_of(world, 1)]
    [other] = [login for login in UNIT_OF.values() if login != own]
    assert material_for(engine, store, own, 1, "id_scan")[1] == scan
    with pytest.raises(CaseNotFound):
        material_for(engine, store, other, 1, "id_scan")
    with pytest.raises(Refused):
        add_materials(engine, store, own, 1, "photo", [Upload("p.jpg", jpeg())], NOW)  # a unit does not upload these
    with engine.connect() as conn:
        viewers = conn.execute(sa.select(AUDIT.c.actor).where(AUDIT.c.action == "material.view")
                               .order_by(AUDIT.c.id)).scalars().all()
    assert viewers == ["reviewer", own]


def test_verify_finds_a_missing_or_changed_file_and_counts_unnamed_ones(world: World, store: MaterialStore) -> None:
    engine = world.engine
    done = add_materials(engine, store, "clerk", 1, "id_scan", [Upload("id.pdf", pdf())], NOW)
    stray = jpeg((5, 5))
    store.put(sha256_of(stray), stray)  # as an upload whose transaction failed leaves it
    report = verify_materials(engine, store, "admin")
    assert report["ok"] and report["checked"] == 1 and report["unnamed"] == [sha256_of(stray)]
    store.delete(done["files"][0]["sha256"])
    report = verify_materials(engine, store, "admin")
    assert not report["ok"] and report["missing"] == [done["files"][0]["sha256"]]
    with pytest.raises(Refused):
        verify_materials(engine, store, "reviewer")  # administrators only


def test_the_command_line_adds_lists_gets_and_verifies(world: World, db_url: str, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from workflow.cli import app

    sqlite = db_url.startswith("sqlite")
    env = {"CHUDING_NOW": "2024-10-08T09:00:00+08:00",
           "CHUDING_MATERIALS_URL": "" if sqlite else f"file://{tmp_path / 'shared'}"}

    def run(login: str, *args: str, code: int = 0) -> str:
        done = CliRunner().invoke(app, ["--db", db_url, "--as", login, "materials", *args], env=env)
        assert done.exit_code == code, (args, done.output)
        return done.stdout if "--json" in args else done.output

    scan = tmp_path / "身份证.pdf"
    scan.write_bytes(pdf(pages=2))
    added = json.loads(run("clerk", "add", "1", "id_scan", str(scan), "--json"))
    assert added["version"] == 1 and added["files"][0]["pages"] == 2
    beside = Path(db_url.split("///")[-1]).with_name(Path(db_url.split("///")[-1]).stem + "-materials")
    assert (beside if sqlite else tmp_path / "shared").joinpath("objects").is_dir()  # the default: beside the file
    listed = json.loads(run("reviewer", "list", "1", "--json"))
    assert [s["slot"] for s in listed if s["files"]] == ["id_scan"]
    out = tmp_path / "got.pdf"
    run("reviewer", "get", "1", "id_scan", "-o", str(out))
    assert out.read_bytes() == scan.read_bytes() and oct(out.stat().st_mode & 0o777) == "0o600"
    assert json.loads(run("admin", "verify", "--json"))["checked"] == 1
    bad = tmp_path / "evil.pdf"
    bad.write_bytes(b"MZ\x90\x00 not a pdf")
    refused = json.loads(run("clerk", "add", "1", "photo", str(bad), "--json", code=1))
    assert refused["reasons"][0]["rule"] == "material.kind" and "evil.pdf" in refused["reasons"][0]["message"]
    if not sqlite:  # the replicas share no disk: the place must be named
        env["CHUDING_MATERIALS_URL"] = ""
        assert "CHUDING_MATERIALS_URL" in run("clerk", "add", "1", "photo", str(scan), code=4)


def test_an_upload_to_a_store_that_is_down_changes_nothing(world: World) -> None:
    from tests.support.pgserver import free_port

    down = S3Store(f"s3+http://key:secret@127.0.0.1:{free_port()}/materials", timeout=1)
    with pytest.raises(StoreUnavailable):
        add_materials(world.engine, down, "clerk", 1, "id_scan", [Upload("id.pdf", pdf())], NOW)
    assert world.count("material_file") == 0
    assert "material_added" not in [h.event for h in world.history(1)]


def test_the_leader_collects_only_old_objects_no_row_names(world: World, store: MaterialStore) -> None:
    from datetime import UTC, datetime, timedelta

    from workflow.usecases.materials import UNNAMED_GRACE, collect_unnamed

    engine = world.engine
    kept = add_materials(engine, store, "clerk", 1, "id_scan", [Upload("id.pdf", pdf())], NOW)["files"][0]["sha256"]
    stray = jpeg((7, 7))
    store.put(sha256_of(stray), stray)  # as an upload whose transaction failed leaves it
    wall = datetime.now(UTC)
    assert collect_unnamed(engine, store, wall) == 0  # too recent: an upload may be about to name it
    assert collect_unnamed(engine, store, wall + UNNAMED_GRACE + timedelta(minutes=5)) == 1
    assert names(store) == [kept]


class CollectedMeanwhile(FolderStore):
    """A folder whose objects a collection removes just after they are stored (the race
    between an upload's bytes and its row, made to happen every time)."""

    def put(self, sha256: str, data: bytes) -> None:
        super().put(sha256, data)
        if not getattr(self, "collected", False):
            self.collected = True
            self.delete(sha256)


def test_an_object_collected_between_its_bytes_and_its_row_is_stored_again(world: World, tmp_path: Path) -> None:
    store = CollectedMeanwhile(tmp_path / "materials")
    done = add_materials(world.engine, store, "clerk", 1, "id_scan", [Upload("id.pdf", pdf())], NOW)
    assert store.exists(done["files"][0]["sha256"])
    assert verify_materials(world.engine, store, "admin")["ok"]


def test_two_uploads_to_one_slot_at_once_are_two_versions_and_an_upload_racing_submit_is_one_or_the_other(
        world: World, tmp_path: Path) -> None:
    from tests.support.concurrency import race

    store = FolderStore(tmp_path / "materials")
    engine = world.engine
    for _ in range(3):
        results = race(*[lambda: add_materials(engine, store, "clerk", 1, "diploma-1", [Upload("d.pdf", pdf())], NOW)
                         for _ in range(2)])
        assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(int(h.details.split('"version": ')[1].split(",")[0]) for h in world.history(1)
                  if h.event == "material_added") == [1, 2, 3, 4, 5, 6]

    world.give_files(2, NOW, store=store)
    before = len(world.history(2))
    outcome = race(lambda: add_materials(engine, store, "clerk", 2, "degree-1", [Upload("p.jpg", jpeg())], NOW),
                   lambda: world.run(2, Event.SUBMIT, "clerk", NOW))
    uploaded, submitted = (not isinstance(r, Exception) for r in outcome)
    assert submitted, outcome  # the upload never stops a submit: it waits, or comes first
    if not uploaded:
        assert isinstance(outcome[0], Refused) and outcome[0].refusals[0].rule == "material.frozen"
    history = [h.event for h in world.history(2)][before:]
    if uploaded:  # it came first: what was submitted had the file
        assert history == ["material_added", "submit"]
    else:
        assert history == ["submit"]


def test_what_an_upload_killed_mid_write_leaves_is_collected(world: World, tmp_path: Path) -> None:
    import os
    from datetime import UTC, datetime, timedelta

    from workflow.usecases.materials import UNNAMED_GRACE, collect_unnamed

    store = FolderStore(tmp_path / "materials")
    add_materials(world.engine, store, "clerk", 1, "id_scan", [Upload("id.pdf", pdf())], NOW)
    left = tmp_path / "materials" / "tmp" / f"{sha256_of(b'half')}.deadbeef"  # as kill -9 mid-write leaves it
    left.write_bytes(b"%PDF-1.7 half of a fi")
    wall = datetime.now(UTC)
    assert collect_unnamed(world.engine, store, wall) == 0 and left.exists()  # it may be a write under way
    long_ago = (wall - UNNAMED_GRACE - timedelta(minutes=1)).timestamp()
    os.utime(left, (long_ago, long_ago))
    assert collect_unnamed(world.engine, store, wall) == 1 and not left.exists()
    assert verify_materials(world.engine, store, "admin")["ok"]


def test_every_bad_file_of_an_upload_is_named_at_once(world: World, store: MaterialStore) -> None:
    with pytest.raises(Refused) as err:
        add_materials(world.engine, store, "clerk", 1, "id_scan",
                      [Upload("empty.pdf", b""), Upload("ok.pdf", pdf()), Upload("prog.pdf", b"MZ\x90")], NOW)
    assert [(r.rule, "empty.pdf" in r.message or "prog.pdf" in r.message) for r in err.value.refusals] == [
        ("material.empty", True), ("material.kind", True)]
    assert names(store) == []
    world.give_files(1, NOW)
    world.run(1, Event.SUBMIT, "clerk", NOW)
    kept = names(store)
    with pytest.raises(Refused) as err:
        add_materials(world.engine, store, "clerk", 1, "no_such_slot", [], NOW)
    assert sorted(r.rule for r in err.value.refusals) == ["material.count", "material.slot"]
    with pytest.raises(Refused) as err:
        add_materials(world.engine, store, "clerk", 1, "photo", [], NOW)
    assert sorted(r.rule for r in err.value.refusals) == ["material.count", "material.frozen"]
    assert names(store) == kept


def test_a_file_number_no_row_can_have_is_no_file(world: World, store: MaterialStore) -> None:
    add_materials(world.engine, store, "clerk", 1, "id_scan", [Upload("id.pdf", pdf())], NOW)
    for part in (0, 21, 10**20):
        with pytest.raises(Refused) as err:
            material_for(world.engine, store, "reviewer", 1, "id_scan", part)
        assert err.value.refusals[0].rule == "material.missing"
