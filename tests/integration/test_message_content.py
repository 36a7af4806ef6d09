"""What a bureau's messages must also say: where the paper goes, the remedies against an
adverse decision, an objection's words only where the notice allows; the 备案表's age."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from notifications.outbox import OUTBOX
from notifications.rendering import Renderer
from states.values import Event
from tests.support.helpers import NOTICE, OPINION, PAPER_ITEMS, bj, engineer, teacher
from tests.support.rules import rules_of, to_publicity
from tests.support.world import World
from workflow.usecases.messages import shared_contexts

RENDERER = Renderer()


def rendered(engine: sa.Engine, kind: str) -> tuple[str, str, str]:
    """The e-mail text, its HTML and the SMS of the first message of ``kind``."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(OUTBOX).where(OUTBOX.c.kind == kind).order_by(OUTBOX.c.id)).all()
    row = rows[0]
    context = {**shared_contexts(engine)([row])[row.id], **json.loads(row.context)}
    mail = RENDERER.email(kind, context)
    return mail.text, mail.html, RENDERER.sms(kind, context, "轮台县人社局")


def _publicity_closed(engine: sa.Engine, record: dict[str, object], unit_operator: str) -> tuple[str, str, str]:
    """The close_publicity message of ``record``'s case, rendered as the relay sends it."""
    world = World(engine)
    case = world.import_([record]).created[0]
    to_publicity(world, case)
    world.run(case, Event.START_PUBLICITY, unit_operator, bj(2024, 10, 9))
    world.run(case, Event.CLOSE_PUBLICITY, unit_operator, bj(2024, 10, 16), opinion=OPINION)
    return rendered(engine, "close_publicity")


def test_paper_messages_say_where_and_when_and_list_the_items_as_a_list(engine: sa.Engine) -> None:
    text, html, sms = _publicity_closed(engine, engineer(), "water")
    assert NOTICE.contact.paper_address in text and NOTICE.contact.paper_hours in text
    assert "2024-10-24 10:00" in sms  # the paper window's opening, not only its close
    items = re.findall(r"<li>(.*?)</li>", html)
    assert "<ol>" in html and len(items) == len(NOTICE.paper_checklist("工程技术")) == 8
    with engine.connect() as conn:
        stored = conn.execute(sa.select(OUTBOX.c.context).where(OUTBOX.c.kind == "close_publicity")).scalars().all()
    assert stored and all("paper_items" not in json.loads(c) for c in stored)  # computed when sent


def test_a_teachers_checklist_has_the_teachers_items(engine: sa.Engine) -> None:
    _, html, _ = _publicity_closed(engine, teacher(), "school")
    items = re.findall(r"<li>(.*?)</li>", html)
    assert len(items) == len(NOTICE.paper_checklist("中小学教师")) == 12 and "普通话等级证书" in items


@pytest.mark.parametrize("event, login, extra", [
    (Event.REJECT, "reviewer", {"reason": "材料不符"}),
    (Event.REPORT_FRAUD, "approver", {"reason": "伪造证书"}),
])
def test_adverse_decisions_state_the_remedies(engine: sa.Engine, event: Event, login: str,
                                              extra: dict[str, str]) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    world.run(case, event, login, bj(2024, 10, 9), **extra)
    text, _, _ = rendered(engine, event.value)
    assert "行政复议" in text and "行政诉讼" in text and NOTICE.remedies_text in text


def test_an_expiry_states_the_remedies(engine: sa.Engine) -> None:
    from workflow.usecases.sweeps import catch_up

    World(engine).import_([engineer()])
    catch_up(engine, bj(2024, 10, 30, 18, 0, 1))
    text, _, _ = rendered(engine, "expire")
    assert NOTICE.remedies_text in text


def test_an_objections_words_are_not_sent_to_the_applicant_by_default(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    to_publicity(world, case)
    world.run(case, Event.START_PUBLICITY, "water", bj(2024, 10, 9))
    world.run(case, Event.RECORD_OBJECTION, "water", bj(2024, 10, 10), reason="举报人张某称其学历造假")
    text, html, sms = rendered(engine, "record_objection")
    for part in (text, html, sms):
        assert "张某" not in part
    assert "正在核实" in text
    with engine.connect() as conn:
        stored = conn.execute(sa.select(OUTBOX.c.context).where(OUTBOX.c.kind == "record_objection")).scalars().all()
    assert all("张某" not in c for c in stored)
    assert "张某" in world.history(case)[-1].reason  # kept where staff read it


def test_a_stale_chsi_record_is_refused_at_receipt_naming_it(engine: sa.Engine) -> None:
    world = World(engine)
    record = engineer()
    record["educations"][0]["chsi_record_date"] = "2024-07-24"
    case = world.import_([record]).created[0]
    to_publicity(world, case)
    world.run(case, Event.START_PUBLICITY, "water", bj(2024, 10, 9))
    world.run(case, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    assert rules_of(lambda: world.run(case, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 25), items=PAPER_ITEMS,
              form_code=world.form_code(case))) == {"paper.record_too_old"}
    # Three calendar months back from 2024-10-24 is 2024-07-24: still accepted that day.
    world.run(case, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 24, 10), items=PAPER_ITEMS,
              form_code=world.form_code(case))
    assert world.state(case) == "paper_received"


def test_a_return_by_slot_tells_the_applicant_each_slot_and_its_reason(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    world.run(case, Event.START_REVIEW, "reviewer", bj(2024, 10, 8, 11))
    world.run(case, Event.RETURN_FOR_CORRECTION, "reviewer", bj(2024, 10, 8, 12), reason="请按所列材料修改",
              slots=(("chsi_record-1", "须为近三个月内下载"),))
    text, html, _ = rendered(engine, "return_for_correction")
    assert "须重新上传的材料：" in text
    slot = "学信网《教育部学历证书电子注册备案表》（近三个月内，带二维码）（本科 新疆农业大学）"
    assert f"- {slot}：须为近三个月内下载" in text
