"""Importing applications: a bad record is named, and then nothing is imported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from states.refusals import Refused
from states.values import Event
from tests.support.helpers import EXAMPLE_FILE, bj, engineer, teacher
from tests.support.imports import refused
from tests.support.world import World
from workflow.errors import ImportRefused
from workflow.usecases.importer import import_applications


def with_second(change) -> str:  # type: ignore[no-untyped-def]
    second = teacher()
    change(second)
    return json.dumps([engineer(), second], ensure_ascii=False)


def test_malformed_json(engine: sa.Engine) -> None:
    assert refused(World(engine), '[{"applicant": }]') == ["file: line 1 column 16: 不是有效的 JSON：Expecting value"]


def test_bad_id_checksum(engine: sa.Engine) -> None:
    text = with_second(lambda r: r["applicant"].update(id_number="652822199808080101"))
    [problem] = refused(World(engine), text)
    assert problem.startswith("record 2 (652822********0101): applicant.id_number: ")
    assert "校验位不对" in problem


def test_unknown_education_level(engine: sa.Engine) -> None:
    text = with_second(lambda r: r["educations"][1].update(level="副博士"))
    [problem] = refused(World(engine), text)
    assert problem.startswith("record 2 (652822********010X): educations[1].level: 未知的学历层次 '副博士'")


def test_impossible_date(engine: sa.Engine) -> None:
    text = with_second(lambda r: r.update(work_started_on="2021-02-30"))
    [problem] = refused(World(engine), text)
    assert problem.startswith("record 2 (652822********010X): work_started_on: ")


def test_wrong_typed_field(engine: sa.Engine) -> None:
    text = with_second(lambda r: r["assessments"][0].update(year="2021"))
    [problem] = refused(World(engine), text)
    assert problem == "record 2 (652822********010X): assessments[0].year: 须为整数"


def test_every_problem_of_every_record_is_listed(engine: sa.Engine) -> None:
    def spoil(r):  # type: ignore[no-untyped-def]
        r["applicant"]["phone"] = "12345"
        r["continuing_education"] = [{"year": 2023, "public_hours": -1, "professional_hours": 60}]
        r["colour"] = "blue"
    problems = refused(World(engine), with_second(spoil))
    fields = sorted(p.split(": ")[1] for p in problems)
    assert fields == ["applicant.phone", "colour", "continuing_education[0].public_hours"]


def test_work_start_before_graduation_is_refused(engine: sa.Engine) -> None:
    text = with_second(lambda r: r.update(work_started_on="2021-06-01"))
    [problem] = refused(World(engine), text)
    assert "work_started_on: 参加工作时间 2021-06-01 早于最高全日制学历毕业时间 2021-06-30" in problem


def test_one_case_per_person_per_campaign_and_returned_cases_are_replaced(engine: sa.Engine, tmp_path: Path) -> None:
    from tests.support.scans import jpeg
    from workflow.usecases.materials import materials_for

    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    with pytest.raises(ImportRefused, match="already has case"):
        world.import_([engineer()])
    world.run(case, Event.START_REVIEW, "reviewer", bj(2024, 10, 9))
    world.run(case, Event.RETURN_FOR_CORRECTION, "reviewer", bj(2024, 10, 9), reason="请按所列材料修改",
              slots=(("photo", "照片不清晰"),))
    with pytest.raises(Refused) as err:
        world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 10))
    assert [r.message for r in err.value.refusals] == ["退回修改的一寸免冠照尚未重新上传（退回原因：照片不清晰）"]
    fixed = engineer()
    fixed["materials"]["photo"] = "photo-new.jpg"  # a new photo beside the records' other files
    shutil.copytree(EXAMPLE_FILE.parent / "files", tmp_path / "files")
    (tmp_path / "photo-new.jpg").write_bytes(jpeg((354, 496)))
    assert world.import_([fixed], now=bj(2024, 10, 10), files=tmp_path).amended == [case]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 10))
    assert [h.event for h in world.history(case)] == [
        "import", "submit", "start_review", "return_for_correction", "amend", "submit",
    ]
    [photo] = [s for s in materials_for(engine, "reviewer", case)["slots"] if s["slot"] == "photo"]
    assert [(f["version"], f["file_name"]) for f in photo["files"]] == [(2, "photo-new.jpg")]
    assert sum(1 for s in materials_for(engine, "reviewer", case)["slots"] if s["files"]) == 9


def test_one_size_limit_for_every_file_counted_in_bytes(engine: sa.Engine) -> None:
    """20 MB, whichever way a file comes: JSON is counted in its UTF-8 bytes (a file of
    Chinese names is three bytes a character), a workbook as it is; one byte more is
    refused before anything is read, and nothing is imported."""
    from workflow.inputs.import_file import MAX_FILE_BYTES
    from workflow.usecases.importer import import_workbook

    World(engine)
    chinese = "[" + " " * (MAX_FILE_BYTES - 1 - 3 * (MAX_FILE_BYTES // 6)) + "名" * (MAX_FILE_BYTES // 6) + "]"
    assert len(chinese) < MAX_FILE_BYTES < len(chinese.encode())
    for importing in (lambda: import_applications(engine, chinese, "big.json", "clerk", bj(2024, 9, 28)),
                      lambda: import_workbook(engine, b"PK\x03\x04" + b"\0" * MAX_FILE_BYTES, "big.xlsx", "clerk",
                                              bj(2024, 9, 28))):
        with pytest.raises(ImportRefused, match="文件过大：最多 20 MB") as err:
            importing()
        assert [p.rule for p in err.value.problems] == ["import.file_size"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM application_case")).scalar() == 0


def test_files_beside_an_import_are_read_only_from_there_and_checked_like_uploads(
        engine: sa.Engine, tmp_path: Path) -> None:
    """A name that climbs out, a link out of the folder, a missing file, a program named
    .pdf, a zip bomb: each a problem naming the record and the field; nothing imported."""
    import zipfile

    from workflow.inputs.attached import Attached
    from workflow.usecases.importer import Files

    world = World(engine)
    folder = tmp_path / "scans"
    shutil.copytree(EXAMPLE_FILE.parent / "files", folder / "files")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes((EXAMPLE_FILE.parent / "files" / "aili" / "id.pdf").read_bytes())
    (folder / "files" / "aili" / "link.pdf").symlink_to(secret)
    (folder / "files" / "aili" / "program.pdf").write_bytes(b"MZ\x90\x00" + b"\0" * 100)
    record = engineer()
    record["materials"]["id_scan"] = "../secret.pdf"
    record["materials"]["photo"] = "files/aili/link.pdf"
    record["materials"]["commitment_scan"] = "files/aili/program.pdf"
    record["educations"][0]["diploma"] = "files/aili/nowhere.pdf"
    with pytest.raises(ImportRefused) as err:
        world.import_([record], files=folder)
    said = {p.field: p.message for p in err.value.problems}
    assert said["materials.id_scan"].startswith("文件名“'../secret.pdf'”须为所附文件夹内的相对路径")
    assert said["materials.photo"] == "所附文件夹中没有文件“files/aili/link.pdf”"
    assert "不是 PDF、JPEG、PNG 文件" in said["materials.commitment_scan"]
    assert said["educations[0].diploma"] == "所附文件夹中没有文件“files/aili/nowhere.pdf”"
    assert world.count("application_case") == 0 and world.count("material_file") == 0

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted((EXAMPLE_FILE.parent / "files").rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(EXAMPLE_FILE.parent).as_posix())
        z.writestr("files/aili/diploma-big.pdf", b"%PDF-" + b"\0" * (200 * 1024 * 1024))  # 200 MB in ~200 KB
    assert bomb.stat().st_size < 2 * 1024 * 1024
    record = engineer()
    record["educations"][0]["diploma"] = "files/aili/diploma-big.pdf"
    text = json.dumps([record], ensure_ascii=False)
    with pytest.raises(ImportRefused) as err:
        import_applications(engine, text, "t.json", "clerk", bj(2024, 9, 28),
                            files=Files(Attached.open(bomb), world.store))
    [problem] = err.value.problems
    assert problem.field == "educations[0].diploma" and problem.message.endswith("超过 5.0 MB")
    ok = import_applications(engine, json.dumps([engineer()], ensure_ascii=False), "t.json", "clerk",
                             bj(2024, 9, 28), files=Files(Attached.open(bomb), world.store))
    assert ok.created == [1] and world.count("material_file") == 9  # the same zip's good files


def test_a_zip_entry_that_climbs_out_matches_no_name_a_record_gives(tmp_path: Path) -> None:
    """`../files/a.pdf` in a zip is not `files/a.pdf` (stripping leading dots and slashes
    made it so); `./files/b.pdf` is `files/b.pdf`. Names are matched from one listing."""
    import io
    import zipfile

    from workflow.inputs.attached import Attached, AttachedProblem

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("../files/a.pdf", b"from outside")
        z.writestr("./files/b.pdf", b"inside")
    attached = Attached.from_file(packed)
    assert attached.read("files/b.pdf") == b"inside"
    with pytest.raises(AttachedProblem, match="没有文件“files/a.pdf”"):
        attached.read("files/a.pdf")
