"""The guards: each event's rules over a case and a command, returning every reason it
may not happen (none when it may). Which guard belongs to which event, and which window
bounds it, is the process table's (``states.process``)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from states.eligibility import refusals as eligibility_refusals
from states.materials import (
    missing_files,
    online_refusals,
    paper_refusals,
    places,
    stale_records,
    unknown_paper_items,
)
from states.refusals import Refusal, reason_required
from states.text import TYPED_TEXT_LIMIT, control_character
from states.values import Case, Command, Publicity, Role


def _reason(cmd: Command) -> list[Refusal]:
    return reason_required(cmd.reason)


def submit(case: Case, cmd: Command) -> list[Refusal]:
    """Eligible, with every online material, and every slot returned for correction
    replaced since (the window is the process table's)."""
    app, notice = case.application, case.notice
    return (eligibility_refusals(app, case.unit, notice, set(case.banned_years))
            + online_refusals(app, case.files, notice) + not_replaced(case))


def not_replaced(case: Case) -> list[Refusal]:
    labels = {p.key: p.label for p in places(case.application, case.notice)}
    return [Refusal("materials.returned", f"退回修改的{labels.get(key, key)}尚未重新上传（退回原因：{why}）",
                    f"materials.{key}") for key, why in case.returned.items()]


def return_for_correction(case: Case, cmd: Command) -> list[Refusal]:
    """A reason, and for each slot named at fault one of the case's slots and its own reason."""
    found = _reason(cmd)
    known = {p.key for p in places(case.application, case.notice, "applicant")}
    for key, why in cmd.slots:
        if key not in known:
            found.append(Refusal("return.slot", f"没有名为 {key[:64]!r} 的材料项", "slots"))
        elif not why.strip():
            found.append(Refusal("return.slot_reason", f"退回的材料项 {key} 须写明原因", f"slots.{key}"))
        elif (bad := control_character(why, multiline=False)) is not None or len(why) > TYPED_TEXT_LIMIT:
            found.append(Refusal("return.slot_reason", f"材料项 {key} 的原因含控制字符或超过 {TYPED_TEXT_LIMIT} 字"
                                 + (f"（{bad}）" if bad else ""), f"slots.{key}"))
    return found


def start_publicity(case: Case, cmd: Command) -> list[Refusal]:
    if case.publicity.started_at is not None:
        return [Refusal("publicity.started", "公示已开始，不能重复开始")]
    return []


def _publicity_running(publicity: Publicity) -> list[Refusal]:
    if publicity.started_at is None:
        return [Refusal("publicity.not_started", "公示尚未开始")]
    if publicity.passed:
        return [Refusal("publicity.closed", "公示已结束")]
    return []


def record_objection(case: Case, cmd: Command) -> list[Refusal]:
    return _publicity_running(case.publicity) + _reason(cmd)


def resolve_objection(case: Case, cmd: Command) -> list[Refusal]:
    found = _publicity_running(case.publicity)
    if case.publicity.open_objections == 0:
        found.append(Refusal("publicity.no_objection", "没有待处理的异议"))
    if cmd.upheld is None:
        found.append(Refusal("objection.outcome", "须说明异议成立或不成立", "upheld"))
    return found + _reason(cmd)


def close_publicity(case: Case, cmd: Command) -> list[Refusal]:
    p, notice = case.publicity, case.notice
    found = _publicity_running(p)
    if p.completes_at is not None and cmd.now < p.completes_at:
        found.append(Refusal(
            "publicity.period",
            f"公示期不少于 {notice.publicity_working_days} 个工作日，"
            f"{p.completes_at.astimezone(notice.timezone):%Y-%m-%d %H:%M}（北京时间）后方可结束",
        ))
    if p.open_objections:
        found.append(Refusal("publicity.objection_open", f"有 {p.open_objections} 条异议尚未处理"))
    if p.upheld_objections:
        found.append(Refusal("publicity.objection_upheld", "异议成立，不能推荐，应不予确认"))
    found += missing_files(case.application, case.files, notice, "unit")
    if cmd.opinion != notice.unit_opinion_text:
        found.append(Refusal(
            "publicity.opinion", f"单位审核意见须为原文：“{notice.unit_opinion_text}”", "opinion"
        ))
    return found


def complete_publicity_refusals(publicity: Publicity, now: datetime) -> list[Refusal]:
    """The period is over with no open objection: the sweep's rule too."""
    found = _publicity_running(publicity)
    if publicity.completed_at is not None:
        found.append(Refusal("publicity.completed", "公示已期满"))
    if publicity.completes_at is not None and now < publicity.completes_at:
        found.append(Refusal("publicity.period", "公示期未满"))
    if publicity.open_objections:
        found.append(Refusal("publicity.objection_open", f"有 {publicity.open_objections} 条异议尚未处理"))
    return found


def publicity_complete(publicity: Publicity, now: datetime) -> bool:
    """Its working days are over with no open objection, and nobody has closed or
    completed it: the moment the service records it complete. (The sweep's SQL twin,
    ``workflow.usecases.sweeps.publicity_complete_sql``, is tested to agree.)"""
    return not complete_publicity_refusals(publicity, now)


def complete_publicity(case: Case, cmd: Command) -> list[Refusal]:
    return complete_publicity_refusals(case.publicity, cmd.now)


def receive_paper(case: Case, cmd: Command) -> list[Refusal]:
    series = case.application.series
    found = []
    if not case.publicity.passed:
        found.append(Refusal("publicity.not_passed", "单位公示尚未结束，不能受理纸质材料"))
    found += unknown_paper_items(series, set(cmd.items), case.notice)
    found += stale_records(case.application, cmd.now.astimezone(case.notice.timezone).date(),
                           case.notice.record_max_age_months)
    return found + paper_refusals(series, set(cmd.items), case.notice) + review_form_refusals(case, cmd)


def review_form_refusals(case: Case, cmd: Command) -> list[Refusal]:
    """The 评审表 handed in must be the one printed after the case's latest online approval:
    its verification code says so (letters and digits; case, dashes and spaces aside)."""
    item = case.notice.review_form_item
    if item not in cmd.items:
        return []  # not handed in: the checklist says so
    given = "".join(c for c in unicodedata.normalize("NFKC", cmd.form_code).upper() if c.isalnum())
    form = "《专业技术职务任职资格评审表》"
    if case.review_form_code is None:
        return [Refusal("paper.form_code", f"{form}：本申报尚未网上审核通过，没有可用的评审表", "form_code")]
    if not given:
        return [Refusal("paper.form_code", f"{form}：请输入表上印的验证码", "form_code")]
    if given != case.review_form_code.replace("-", ""):
        return [Refusal("paper.form_code", f"{form}：验证码不符。请核对；退回修改后重新审核通过的，"
                                           "须使用重新打印的评审表", "form_code")]
    return []


def reject(case: Case, cmd: Command) -> list[Refusal]:
    found = _reason(cmd)
    # A unit may reject only its own case whose publicity brought an upheld objection.
    if cmd.actor.role is Role.UNIT_OPERATOR and not case.publicity.upheld_objections:
        found.append(Refusal("reject.unit_without_objection", "单位只能在公示异议成立时不予推荐"))
    return found


def report_fraud(case: Case, cmd: Command) -> list[Refusal]:
    found = _reason(cmd)
    if case.fraud_reported:
        found.append(Refusal("fraud.already_reported", "本申报已认定弄虚作假"))
    return found


def nothing(case: Case, cmd: Command) -> list[Refusal]:
    return []


def typed_text_refusals(cmd: Command) -> list[Refusal]:
    found = []
    for name, value in (("reason", cmd.reason), ("opinion", cmd.opinion)):
        bad = control_character(value, multiline=True)
        if bad is not None:
            found.append(Refusal(f"{name}.control", f"{name} 不能含控制字符或不可见的格式字符（{bad}）", name))
        if len(value) > TYPED_TEXT_LIMIT:
            too_long = f"{name} 最多 {TYPED_TEXT_LIMIT} 个字符，实有 {len(value)} 个"
            found.append(Refusal(f"{name}.length", too_long, name))
    return found
