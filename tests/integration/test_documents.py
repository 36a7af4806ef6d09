"""The notice's documents, made from a case of the sample campaign and read back: Word
with python-docx, PDF with pdftotext and pdftoppm (LibreOffice converts)."""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document as Word
from openpyxl import load_workbook

from states.refusals import Refused
from states.values import Event
from tests.support.helpers import ID_A, OPINION, PAPER_ITEMS, bj, engineer, teacher
from tests.support.rules import to_publicity
from tests.support.world import World
from workflow.documents.produce import case_document, confirmed_list, unit_document
from workflow.documents.render import DocumentError, render_docx
from workflow.store.tables import AUDIT

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "documents"
NOW = bj(2024, 10, 9, 10)


def text_of(data: bytes) -> str:
    document = Word(BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
def world(engine: sa.Engine) -> World:
    found = World(engine)
    found.import_([engineer(), teacher()])
    return found


def test_the_commitment_carries_the_full_id_and_the_text_to_copy_and_is_recorded(world: World,
                                                                                  engine: sa.Engine) -> None:
    made = case_document(engine, "clerk", "commitment", 1, NOW)
    text = text_of(made.data)
    assert made.filename == "个人承诺书-1.docx"
    assert "艾力·买买提" in text and ID_A in text and world_notice_commitment() in text
    assert "{{" not in text and "手印" in text
    with engine.connect() as conn:
        row = conn.execute(sa.select(AUDIT).where(AUDIT.c.action == "document.commitment")).one()
    assert (row.actor, row.subject) == ("clerk", "case 1")


def world_notice_commitment() -> str:
    from tests.support.helpers import NOTICE

    return NOTICE.commitment_text


def test_the_teachers_statement_is_for_teachers_only_and_shows_the_id_masked(world: World, engine: sa.Engine) -> None:
    text = text_of(case_document(engine, "clerk", "teacher_statement", 2, NOW).data)
    assert "王芳" in text and "女" in text and "65282219980808010X" not in text and "652822********010X" in text
    with pytest.raises(Refused, match="教师系列"):
        case_document(engine, "clerk", "teacher_statement", 1, NOW)


def test_the_unit_publicity_counts_working_days_across_the_adjusted_saturday(world: World, engine: sa.Engine) -> None:
    to_publicity(world, 1)
    world.run(1, Event.START_PUBLICITY, "water", bj(2024, 10, 9, 10))
    text = text_of(unit_document(engine, "water", "unit_publicity", "LT-SL-01", NOW).data)
    # 9, 10, 11, 12 (the Saturday worked after National Day) and 14 October: five working days.
    assert "2024年10月9日至2024年10月14日" in text and "5个工作日" in text
    assert "艾力·买买提" in text and "男" in text and "652822********0018" in text and ID_A not in text
    assert "助理工程师" in text and "新疆农业大学" in text and "0996-4682378" in text
    with pytest.raises(Refused):
        unit_document(engine, "school", "unit_publicity", "LT-SL-01", NOW)  # another unit's
    with pytest.raises(Refused, match="没有处于公示期"):
        unit_document(engine, "school", "unit_publicity", "LT-ED-07", NOW)


def test_the_result_the_receipt_and_the_confirmed_list_follow_the_case(world: World, engine: sa.Engine) -> None:
    to_publicity(world, 1)
    world.run(1, Event.START_PUBLICITY, "water", bj(2024, 10, 9, 10))
    world.run(1, Event.RECORD_OBJECTION, "water", bj(2024, 10, 10), reason="学历存疑")
    world.run(1, Event.RESOLVE_OBJECTION, "water", bj(2024, 10, 11), reason="经核实属实", upheld=False)
    world.run(1, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    result = text_of(unit_document(engine, "water", "publicity_result", "LT-SL-01", NOW).data)
    assert "有异议，经核实异议不成立" in result and OPINION in result and "盖章" in result
    with pytest.raises(Refused, match="尚未受理"):
        case_document(engine, "paper", "paper_receipt", 1, NOW)
    world.run(1, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 24, 11), items=PAPER_ITEMS,
              form_code=world.form_code(1))
    receipt = text_of(case_document(engine, "paper", "paper_receipt", 1, NOW).data)
    assert "2024-10-24 11:00" in receipt and "受理人：paper" in receipt and "聘用文件" in receipt
    world.run(1, Event.CONFIRM, "approver", bj(2024, 10, 25, 10))
    listed = text_of(confirmed_list(engine, "approver", "luntai-2024", NOW).data)
    assert "艾力·买买提" in listed and "王芳" not in listed and "共1人" in listed and "2024年10月25日" in listed
    sheet = load_workbook(BytesIO(confirmed_list(engine, "approver", "luntai-2024", NOW, as_excel=True).data)).active
    assert [c.value for c in sheet[2]][:3] == [1, "艾力·买买提", "男"]
    with pytest.raises(Refused):
        confirmed_list(engine, "water", "luntai-2024", NOW)  # county staff only


def test_a_placeholder_without_data_is_an_error_never_blank_output() -> None:
    with pytest.raises(DocumentError, match="commitment_text"):
        render_docx("commitment", {"name": "x", "id_number": "y", "unit_name": "z", "series": "s", "specialty": "p",
                                   "case": 1, "campaign_title": "t", "blank_date": ""})


def test_a_document_as_pdf_reads_back_and_renders_a_page(world: World, engine: sa.Engine) -> None:
    made = case_document(engine, "clerk", "commitment", 1, NOW, pdf=True)
    assert made.filename.endswith(".pdf") and made.data.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "commitment.pdf"
    pdf.write_bytes(made.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "个人承诺书" in text and "艾力·买买提" in text and ID_A in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Pages"].strip() == "1" and "(A4)" in fields["Page size"]
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "commitment")],
                   check=True)
    assert any(ARTIFACTS.glob("commitment*.png"))


def test_the_review_form_is_two_watermarked_a4_pages_carrying_the_code_the_paper_desk_checks(
        world: World, engine: sa.Engine) -> None:
    from workflow.documents.review_form import review_form

    with pytest.raises(Refused, match="网上审核通过后"):
        review_form(engine, "paper", 1, NOW)
    to_publicity(world, 1)
    made = review_form(engine, "paper", 1, NOW, store=world.store)
    code = world.form_code(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "review-form.pdf"
    pdf.write_bytes(made.data)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Pages"].strip() == "2" and "(A4)" in fields["Page size"]
    for page in (1, 2):
        def text(*options: str, page: int = page) -> str:
            return subprocess.run(["pdftotext", *options, "-f", str(page), "-l", str(page), str(pdf), "-"],
                                  capture_output=True, text=True, check=True).stdout

        assert f"验证码 {code}" in text() and "申报编号 1" in text()  # the footer of every page
        # The watermark is set diagonally: its characters are on the page, and only as diagonal text.
        assert set("仅供申报使用") <= set(text()) and not set("仅供") & set(text("-nodiag")), page
    first = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "艾力·买买提" in first and ID_A in first and "本科" in first and "助理工程师" in first
    second = subprocess.run(["pdftotext", "-f", "2", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "单位意见" in second and "负责人（签字）" in second
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "review-form")],
                   check=True)
    # The photo box carries the uploaded 一寸 photo: its one image on the first page, 25 × 35 mm.
    images = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    photos = [line.split() for line in images if line.split()[2] == "image"]
    assert [(int(p[3]), int(p[4])) for p in photos] == [(295, 413)]  # the sample photo, as uploaded
    without = subprocess.run(["pdfimages", "-list", "-"], input=review_form(engine, "paper", 1, NOW).data,
                             capture_output=True, check=True).stdout.decode().splitlines()[2:]
    assert not [line for line in without if line.split()[2] == "image"]  # no store given: the box is empty


def test_a_wrong_or_stale_review_form_code_is_refused_naming_the_form(world: World, engine: sa.Engine) -> None:
    to_publicity(world, 1)
    world.run(1, Event.START_PUBLICITY, "water", bj(2024, 10, 9, 10))
    world.run(1, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    old = world.form_code(1)
    world.approval_row(1, bj(2024, 10, 20))  # approved again: a new form, with a new code
    new = world.form_code(1)
    assert new != old and len(new) == 9 and new[4] == "-"
    for given in (old, "", "ZZZZ-ZZZZ"):
        with pytest.raises(Refused) as refused:
            world.run(1, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 24, 11), items=PAPER_ITEMS, form_code=given)
        assert [r.rule for r in refused.value.refusals] == ["paper.form_code"]
        assert "《专业技术职务任职资格评审表》" in refused.value.refusals[0].message
    # Typed as people type it: lower case, spaces, full-width.
    typed = new.lower().replace("-", " ").translate(str.maketrans("abcdefghjkmnpqrstvwxyz23456789",
                                                                  "ａｂｃｄｅｆｇｈｊｋｍｎｐｑｒｓｔｖｗｘｙｚ２３４５６７８９"))
    world.run(1, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 24, 11), items=PAPER_ITEMS, form_code=typed)
    assert world.state(1) == "paper_received"


def test_every_word_document_converts_to_pdf_and_one_page_of_each_is_kept(world: World, engine: sa.Engine,
                                                                           tmp_path: Path) -> None:
    from workflow.documents.render import converter

    to_publicity(world, 1)
    world.run(1, Event.START_PUBLICITY, "water", bj(2024, 10, 9, 10))
    made = {"commitment": case_document(engine, "clerk", "commitment", 1, NOW),
            "teacher_statement": case_document(engine, "clerk", "teacher_statement", 2, NOW),
            "unit_publicity": unit_document(engine, "water", "unit_publicity", "LT-SL-01", NOW)}
    world.run(1, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    made["publicity_result"] = unit_document(engine, "water", "publicity_result", "LT-SL-01", NOW)
    world.run(1, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 24, 11), items=PAPER_ITEMS, form_code=world.form_code(1))
    made["paper_receipt"] = case_document(engine, "paper", "paper_receipt", 1, NOW)
    world.run(1, Event.CONFIRM, "approver", bj(2024, 10, 25, 10))
    made["confirmed_list"] = confirmed_list(engine, "approver", "luntai-2024", NOW)
    for name, document in made.items():
        (tmp_path / f"{name}.docx").write_bytes(document.data)
    # One LibreOffice run for them all (the command line converts each as --pdf does).
    subprocess.run([converter(), f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *sorted(str(p) for p in tmp_path.glob("*.docx"))],
                   check=True, capture_output=True, timeout=300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in made:
        pdf = tmp_path / f"{name}.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "(A4)" in info, name
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(ARTIFACTS / name)], check=True)
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5_000, name


def test_markup_in_the_data_is_text_in_every_document(engine: sa.Engine) -> None:
    from tests.support.helpers import valid_id, with_id
    from workflow.documents.review_form import review_form

    world = World(engine)
    name = "A&B<i>x</i>"
    record = with_id(engineer(), valid_id(42), name)
    record["specialty"] = "水利 & <script>alert(1)</script>"
    world.import_([record])
    text = text_of(case_document(engine, "clerk", "commitment", 1, NOW).data)
    assert name in text and "水利 & <script>alert(1)</script>" in text  # the file is whole, the words as typed
    to_publicity(world, 1)
    pdf = review_form(engine, "paper", 1, NOW).data
    printed = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "A&B<i>x</i>" in printed and "<script>alert(1)</script>" in printed


def test_the_result_names_each_case_s_outcome_none_dismissed_or_upheld(engine: sa.Engine) -> None:
    """Three cases of one unit: no objection, one dismissed, one upheld (its period then
    completes); each row says its own, read from one count per case."""
    from tests.support.helpers import valid_id, with_id

    world = World(engine)
    cases = world.import_([with_id(engineer(), valid_id(900 + i), f"公示人{i}") for i in range(3)]).created
    for case in cases:
        to_publicity(world, case)
        world.run(case, Event.START_PUBLICITY, "water", bj(2024, 10, 9, 10))
    quiet, dismissed, upheld = cases
    for case, outcome in ((dismissed, False), (upheld, True)):
        world.run(case, Event.RECORD_OBJECTION, "water", bj(2024, 10, 10), reason="学历存疑")
        world.run(case, Event.RESOLVE_OBJECTION, "water", bj(2024, 10, 11), reason="已核实", upheld=outcome)
    for case in (quiet, dismissed):
        world.run(case, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    world.run(upheld, Event.COMPLETE_PUBLICITY, "service", bj(2024, 10, 16))
    document = Word(BytesIO(unit_document(engine, "water", "publicity_result", "LT-SL-01", NOW).data))
    lines = [" ".join(cell.text for cell in row.cells) for table in document.tables for row in table.rows]
    rows = {name: line for line in lines for name in ("公示人0", "公示人1", "公示人2") if name in line}
    assert "无异议" in rows["公示人0"] and "异议不成立" in rows["公示人1"] and "异议成立" in rows["公示人2"], rows
    assert "异议不成立" not in rows["公示人2"]
