"""Lifting a ban recorded in error: the record stays, with who lifted it and why.

The lift is one conditional UPDATE, so of several administrators lifting the same ban
at once exactly one succeeds; the others are told it was already lifted. The case's
history records it, and the person is told.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from notifications.outbox import ban_key, enqueue
from states.refusals import Refusal, Refused, reason_required
from states.status import Status
from states.text import TYPED_TEXT_LIMIT
from states.values import Role
from workflow.inputs.fields import text_refusals
from workflow.store import history
from workflow.store.tables import APPLICANTS, BANS, CASES
from workflow.usecases.access import Who, acting
from workflow.usecases.messages import event_context, to_person


def lift_ban(engine: sa.Engine, ban_id: int, who: Who, reason: str, now: datetime) -> None:
    """`bans lift`: an administrator lifts a ban recorded in error."""
    reason = reason.strip()
    problems = reason_required(reason) or text_refusals("ban", reason=(reason, TYPED_TEXT_LIMIT))
    if problems:
        raise Refused(problems)
    with engine.begin() as conn:
        actor = acting(conn, who, Role.ADMINISTRATOR)
        lifted = conn.execute(
            sa.update(BANS).where(BANS.c.id == ban_id, BANS.c.lifted_at.is_(None))
            .values(lifted_at=now, lifted_by=actor.login, lift_reason=reason)
            .returning(BANS.c.case_id, BANS.c.first_year, BANS.c.last_year)
        ).first()
        if lifted is None:
            known = conn.execute(sa.select(BANS.c.lifted_by).where(BANS.c.id == ban_id)).first()
            if known is None:
                raise Refused([Refusal("ban.unknown", f"ban {ban_id} does not exist", "ban")])
            raise Refused([Refusal("ban.lifted", f"ban {ban_id} was already lifted by {known.lifted_by}", "ban")])
        case = conn.execute(
            sa.select(CASES.c.state, CASES.c.campaign_id, APPLICANTS.c.email, APPLICANTS.c.phone)
            .join(APPLICANTS, APPLICANTS.c.id == CASES.c.applicant_id).where(CASES.c.id == lifted.case_id)
        ).one()
        state = Status(case.state)
        entry = history.entry(lifted.case_id, "ban_lifted", state, state, actor, now, reason, {"ban": ban_id})
        history.record(conn, [entry])
        context = event_context(now, reason=reason, ban_first=lifted.first_year, ban_last=lifted.last_year)
        enqueue(conn, to_person(ban_key(ban_id, "lifted"), "ban_lifted", lifted.case_id, case.campaign_id,
                                context, case.email, case.phone))
