"""The service's own work: expiry, publicity completion, reminders and ban ends."""

from __future__ import annotations

import json

import sqlalchemy as sa

from notifications.outbox import OUTBOX
from states.values import Event
from tests.support.helpers import OPINION, PAPER_ITEMS, bj, engineer, valid_id, with_id
from tests.support.world import World
from workflow.store.tables import OPERATORS
from workflow.usecases.sweeps import catch_up


def outbox_keys(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(OUTBOX.c.key).order_by(OUTBOX.c.id)).scalars())


def expired(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k.startswith("expired")}


def test_down_over_the_deadline_then_started_expires_drafted_cases_once(engine: sa.Engine) -> None:
    world = World(engine)
    drafted, submitted = world.import_([engineer(), with_id(engineer(), valid_id(5))]).created
    world.run(submitted, Event.SUBMIT, "clerk", bj(2024, 10, 30, 17))
    assert expired(catch_up(engine, bj(2024, 10, 30, 18, 0, 0))) == {}  # not a second early
    assert expired(catch_up(engine, bj(2024, 11, 2, 9))) == {"expired_personal": 1, "expired_review": 1}
    assert world.state(drafted) == "expired" and world.state(submitted) == "expired"
    expiry = world.history(drafted)[-1]
    assert (expiry.event, expiry.from_state, expiry.actor, expiry.role) == ("expire", "drafted", "service", "service")
    assert expiry.effective_at == bj(2024, 10, 30, 18, 0, 1)
    assert "case1/v2/expire/email" in outbox_keys(engine)
    before = (len(world.history(drafted)), len(outbox_keys(engine)))
    assert catch_up(engine, bj(2024, 11, 2, 9, 5)) == {}
    assert (len(world.history(drafted)), len(outbox_keys(engine))) == before


def test_an_operator_a_moment_before_the_deadline_is_not_also_expired(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 30, 18, 0, 0))
    assert expired(catch_up(engine, bj(2024, 10, 30, 18, 0, 1))) == {}
    assert world.state(case) == "submitted"
    assert [h.event for h in world.history(case)] == ["import", "submit"]


def _publicity(world: World, start) -> int:  # type: ignore[no-untyped-def]
    case = world.import_([engineer()]).created[0]
    world.force_state(case, "unit_publicity")  # the 2024 review window opens only on 10-08
    world.run(case, Event.START_PUBLICITY, "water", start)
    return case


def test_publicity_started_september_30_completes_after_october_11(engine: sa.Engine) -> None:
    world = World(engine)
    case = _publicity(world, bj(2024, 9, 30, 9))
    assert catch_up(engine, bj(2024, 10, 11, 23, 59, 59)) == {}
    assert catch_up(engine, bj(2024, 10, 12, 0, 0, 0)) == {"publicity_completed": 1}
    done = world.history(case)[-1]
    assert (done.event, done.effective_at) == ("complete_publicity", bj(2024, 10, 12))
    assert catch_up(engine, bj(2024, 10, 12, 0, 5)) == {}
    assert "case1/v3/complete_publicity/unit/email" not in outbox_keys(engine)  # the unit has no e-mail


def test_publicity_started_october_8_completes_after_the_working_saturday(engine: sa.Engine) -> None:
    world = World(engine)
    _publicity(world, bj(2024, 10, 8, 9))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE unit SET email = 'water@luntai.example'"))
    assert catch_up(engine, bj(2024, 10, 12, 23, 59, 59)) == {}
    assert catch_up(engine, bj(2024, 10, 13)) == {"publicity_completed": 1}
    assert "case1/v3/complete_publicity/unit/email" in outbox_keys(engine)


def test_an_open_objection_holds_the_publicity_until_it_is_resolved(engine: sa.Engine) -> None:
    world = World(engine)
    case = _publicity(world, bj(2024, 10, 8, 9))
    world.run(case, Event.RECORD_OBJECTION, "water", bj(2024, 10, 9), reason="学历存疑")
    assert catch_up(engine, bj(2024, 10, 14)) == {}
    world.run(case, Event.RESOLVE_OBJECTION, "water", bj(2024, 10, 15), reason="不成立", upheld=False)
    assert catch_up(engine, bj(2024, 10, 15, 1)) == {"publicity_completed": 1}


def test_a_2024_fraud_ban_ends_at_2028_new_year_beijing_time_once(engine: sa.Engine) -> None:
    world = World(engine)
    case = world.import_([engineer()]).created[0]
    world.run(case, Event.REPORT_FRAUD, "approver", bj(2024, 10, 9), reason="伪造学历")
    catch_up(engine, bj(2024, 11, 1))  # the 2024 windows are long closed
    assert catch_up(engine, bj(2027, 12, 31, 23, 59, 59)) == {}
    assert catch_up(engine, bj(2028, 1, 1, 0, 0, 0)) == {"bans_ended": 1}
    assert catch_up(engine, bj(2028, 1, 2)) == {}
    ended = [h for h in world.history(case) if h.event == "ban_ended"]
    assert len(ended) == 1 and ended[0].effective_at == bj(2028, 1, 1)
    assert [k for k in outbox_keys(engine) if k.startswith("ban")] == ["ban1/ended/email", "ban1/ended/sms"]


def test_reminders_go_once_to_those_who_still_have_to_act(engine: sa.Engine) -> None:
    world = World(engine)
    with engine.begin() as conn:
        conn.execute(sa.update(OPERATORS).where(OPERATORS.c.login == "reviewer")
                     .values(email="reviewer@rsj.luntai.example"))
    waiting, submitted, published = world.import_([with_id(engineer(), valid_id(i)) for i in range(3)]).created
    world.run(submitted, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    world.run(published, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    world.run(published, Event.START_REVIEW, "reviewer", bj(2024, 10, 9))
    world.run(published, Event.APPROVE_ONLINE, "reviewer", bj(2024, 10, 9))
    world.run(published, Event.START_PUBLICITY, "water", bj(2024, 10, 9))
    world.run(published, Event.CLOSE_PUBLICITY, "water", bj(2024, 10, 16), opinion=OPINION)
    assert catch_up(engine, bj(2024, 10, 24, 9, 59, 59)) == {}
    assert catch_up(engine, bj(2024, 10, 24, 10)) == {"reminder_paper_checklist": 2}
    assert catch_up(engine, bj(2024, 10, 27, 17, 59, 59)) == {}
    assert catch_up(engine, bj(2024, 10, 27, 18)) == {"reminder_personal_closing": 2}
    assert catch_up(engine, bj(2024, 10, 27, 18, 30)) == {}  # once, however often it runs
    # A working day before the review window closes (10-31 18:00) is 10-30 18:00.
    assert catch_up(engine, bj(2024, 10, 30, 17, 59, 59)) == {}
    assert catch_up(engine, bj(2024, 10, 30, 18)) == {"reminder_review_closing": 1}
    reminders = [k for k in outbox_keys(engine) if k.startswith("reminder")]
    assert reminders == [
        f"reminder/paper_checklist/case{published}/email", f"reminder/paper_checklist/case{published}/sms",
        f"reminder/personal_closing/case{waiting}/email", f"reminder/personal_closing/case{waiting}/sms",
        "reminder/review_closing/campaign1/reviewer/email",
    ]
    with engine.connect() as conn:
        warnings = sa.select(OUTBOX.c.context).where(OUTBOX.c.kind == "reminder_review_closing")
        warning = conn.execute(warnings).scalar_one()
    assert [c["case"] for c in json.loads(warning)["cases"]] == [submitted]  # the one that would expire
    world.run(published, Event.RECEIVE_PAPER, "paper", bj(2024, 10, 31), items=PAPER_ITEMS,
              form_code=world.form_code(published))


def test_expiry_messages_written_in_sql_match_an_operators(engine: sa.Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from notifications.settings import NotificationSettings
    from states.idnumber import mask
    from workflow.runtime.clock import SystemClock
    from workflow.usecases.messages import send_outbox

    world = World(engine)
    teacher_case = world.import_([with_id(engineer(), "65282219980808010X", "王芳")]).created[0]
    catch_up(engine, bj(2024, 11, 2))
    with engine.connect() as conn:
        row = conn.execute(sa.select(OUTBOX).where(OUTBOX.c.key == f"case{teacher_case}/v2/expire/email")).one()
    # The row stores only the expiry's own part; the person's is read from the case when sending.
    assert json.loads(row.context) == {"at": "2024-10-30 18:00", "window": "personal"}
    settings = NotificationSettings(mail_dir=tmp_path / "mail", sms_dir=tmp_path / "sms")
    report = send_outbox(engine, settings, SystemClock())
    assert report.dead == 0 and report.sent == 4  # import and expiry, by e-mail and SMS
    from email import message_from_bytes, policy

    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "mail").glob("*.eml")]
    [expired] = [m for m in mails if str(m["Subject"]) == f"初定职申报已逾期（第 {teacher_case} 号）"]
    text = expired.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "个人申报时间已于 2024-10-30 18:00（北京时间）结束" in text and "唐双" in text
    assert text.startswith("王芳：")
    [imported] = [m for m in mails if m is not expired]
    assert mask("65282219980808010X") in imported.get_body(("plain",)).get_content()  # type: ignore[union-attr]
