"""Every template renders for every event and reminder; SMS segments and variables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jinja2
import pytest

from notifications.rendering import FULL_ID, KINDS, Renderer, UnmaskedIdNumber
from notifications.sms import PermanentFailure, segments, variables
from states.status import Status
from states.values import Event
from tests.support.domain import applicant
from tests.support.helpers import ID_A, NOTICE, bj
from workflow.usecases.messages import event_extras, full_context

RENDERER = Renderer()
REMINDERS = {"reminder_personal_closing", "reminder_paper_checklist", "reminder_review_closing",
             "reminder_publicity_complete", "ban_ended"}
DETAILS = {
    "start_publicity": {"completes_at": bj(2024, 10, 13).isoformat()},
    "resolve_objection": {"upheld": True},
    "report_fraud": {"banned_years": [2025, 2027], "ban_ends_at": bj(2028, 1, 1).isoformat()},
}


def context(kind: str) -> dict[str, object]:
    app = applicant(name="阿依古丽·<吐尔逊>")
    from_state = Status.SUBMITTED if kind == "expire" else Status.CONFIRMED
    to_state = Status.REVOKED if kind == "report_fraud" else Status.EXPIRED
    extras = event_extras(kind, from_state, to_state, DETAILS.get(kind, {}))
    return full_context(NOTICE, app, 42, bj(2024, 10, 9, 11, 30), reason="照片<模糊>，请重新上传 & 提交",
                        cases=[{"case": 42, "name": "艾力", "state_label": "网上审核中"}], count=1, **extras)


def test_every_event_and_reminder_has_a_template() -> None:
    events = {e.value for e in Event} | {"import", "amend", "ban_lifted"}
    assert set(KINDS) == events | REMINDERS


@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_with_what_happened_next_step_and_contact(kind: str) -> None:
    rendered = RENDERER.render(kind, context(kind), "轮台县人社局")
    assert rendered.subject and "\n" not in rendered.subject
    assert "下一步：" in rendered.text
    assert "唐双" in rendered.text and "0996-4682378" in rendered.text and "0996-4682378" in rendered.sms
    assert rendered.sms.startswith("【轮台县人社局】")
    assert "&lt;吐尔逊&gt;" in rendered.html and "<吐尔逊>" not in rendered.html  # HTML is escaped
    for part in (rendered.subject, rendered.text, rendered.html, rendered.sms):
        assert not FULL_ID.search(part) and ID_A not in part


def test_reasons_and_deadlines_are_in_the_message() -> None:
    rendered = RENDERER.render("return_for_correction", context("return_for_correction"), "轮台县人社局")
    assert "照片<模糊>，请重新上传 & 提交" in rendered.text
    assert "照片&lt;模糊&gt;，请重新上传 &amp; 提交" in rendered.html
    assert "2024-10-30 18:00（北京时间）前重新提交" in rendered.text
    fraud = RENDERER.render("report_fraud", context("report_fraud"), "轮台县人社局")
    assert "取消已确认的资格" in fraud.text and "2025 年至 2027 年" in fraud.text
    assert "2028-01-01 00:00" in fraud.text


def test_a_full_id_number_is_never_sent() -> None:
    leaking = {**context("submit"), "id_masked": ID_A}
    with pytest.raises(UnmaskedIdNumber):
        RENDERER.render("submit", leaking, "轮台县人社局")


def test_a_missing_variable_is_an_error_not_a_blank() -> None:
    incomplete = context("submit")
    del incomplete["review_closes"]
    with pytest.raises(jinja2.UndefinedError):
        RENDERER.render("submit", incomplete, "轮台县人社局")


def test_a_folder_overrides_a_template(tmp_path: Path) -> None:
    (tmp_path / "kinds").mkdir()
    (tmp_path / "kinds" / "confirm.j2").write_text(
        "{% block subject %}恭喜 {{ name }}{% endblock %}{% block body %}已确认。{% endblock %}"
        "{% block sms %}已确认。{% endblock %}", encoding="utf-8")
    rendered = Renderer(tmp_path).render("confirm", context("confirm"), "轮台县人社局")
    assert rendered.subject == "恭喜 阿依古丽·<吐尔逊>"
    assert Renderer(tmp_path).render("submit", context("submit"), "x").subject.startswith("初定职申报已提交")


@pytest.mark.parametrize(("length", "expected"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_sms_segments(length: int, expected: int) -> None:
    assert segments("【轮台县人社局】" + "字" * (length - 8)) == expected


def test_sms_variable_longer_than_the_limit_is_refused_by_name() -> None:
    ctx = {**context("submit"), "greeting": "名" * 36}
    with pytest.raises(PermanentFailure, match=r"name \(36 characters\)"):
        variables("submit", ctx, 35)
    ok = variables("submit", {**ctx, "greeting": "名" * 35}, 35)
    assert ok == {"name": "名" * 35, "case": "42", "deadline": "2024-10-31 18:00", "phone": "0996-4682378"}


def test_rendered_sms_counts_its_signature() -> None:
    sms = RENDERER.render("submit", context("submit"), "轮台县人社局").sms
    assert segments(sms) == (1 if len(sms) <= 70 else -(-len(sms) // 67))
    assert date(2024, 10, 31).isoformat() in sms
