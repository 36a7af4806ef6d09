"""Lifting a ban recorded in error: the record stays, with who lifted it and why."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from states.machine import Actor
from states.refusals import Refusal, Refused
from workflow.cases import B


def lift_ban(engine: sa.Engine, ban_id: int, actor: Actor, reason: str, now: datetime) -> None:
    problems = [] if reason.strip() else [Refusal("reason.missing", "必须说明理由", "reason")]
    with engine.begin() as conn:
        row = conn.execute(sa.select(B.c.lifted_at).where(B.c.id == ban_id)).first()
        if row is None:
            problems.append(Refusal("ban.unknown", f"ban {ban_id} does not exist", "ban"))
        elif row.lifted_at is not None:
            problems.append(Refusal("ban.lifted", f"ban {ban_id} was already lifted", "ban"))
        if problems:
            raise Refused(problems)
        conn.execute(
            sa.update(B).where(B.c.id == ban_id)
            .values(lifted_at=now, lifted_by=actor.login, lift_reason=reason)
        )
