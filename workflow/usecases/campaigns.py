"""Loading a notice into the database as a campaign."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from notifications.columns import utc_now
from states.notice import Notice
from states.refusals import Refusal, Refused, reason_required
from states.text import TYPED_TEXT_LIMIT
from states.values import Role
from workflow.inputs.fields import text_refusals
from workflow.inputs.notices import parse_notice_text, read_notice_text
from workflow.store.audit import audit
from workflow.store.tables import CAMPAIGNS, CASES


class UnknownCampaign(LookupError):
    pass


@dataclass(frozen=True)
class Forced:
    """``init --force``: who replaces a running campaign's notice, and why."""

    operator: str
    reason: str


def load_notice(conn: sa.Connection, path: Path, forced: Forced | None = None) -> tuple[Notice, str]:
    """Store the notice file as its campaign; says whether it is new, replaced or unchanged.

    A notice whose campaign already has cases is the rule those cases run under: it is
    replaced only when ``forced``, and the rules it ran under until then are kept in an
    audit row with who replaced them and why.
    """
    text = read_notice_text(path)
    notice = parse_notice_text(text, str(path))
    sha = hashlib.sha256(text.encode()).hexdigest()
    stored = conn.execute(
        sa.select(CAMPAIGNS.c.id, CAMPAIGNS.c.notice_sha256, CAMPAIGNS.c.notice_text)
        .where(CAMPAIGNS.c.code == notice.code)
    ).first()
    if stored is not None and stored.notice_sha256 == sha:
        return notice, "unchanged"
    values = {
        "year": notice.year, "title": notice.title, "source": str(path), "notice_text": text,
        "notice_sha256": sha, "loaded_at": utc_now(),
    }
    if stored is None:
        conn.execute(sa.insert(CAMPAIGNS).values(code=notice.code, form_key=secrets.token_hex(32), **values))
        return notice, "new"
    counted = sa.select(sa.func.count()).select_from(CASES).where(CASES.c.campaign_id == stored.id)
    cases = conn.execute(counted).scalar_one()
    if cases and forced is None:
        raise Refused([Refusal("notice.running", (
            f"campaign {notice.code} already has {cases} case(s): replacing its notice changes the rules"
            " they run under (deadlines among them); if that is meant, run again with --force and --reason"),
            "notice")])
    if cases and forced is not None:
        audit(conn, forced.operator, "notice.replace", notice.code, forced.reason,
              file=str(path), previous_notice=stored.notice_text)
    conn.execute(sa.update(CAMPAIGNS).where(CAMPAIGNS.c.code == notice.code).values(**values))
    return notice, "replaced"


def load_notices(conn: sa.Connection, paths: list[Path], operator: str | None,
                 force: bool = False, reason: str = "") -> list[dict[str, object]]:
    """`init --notice`: load each file; on a staffed database a change is an administrator's
    act, and replacing a running campaign's notice needs ``force`` and a reason, audited."""
    from workflow.usecases.access import acting
    from workflow.usecases.operators import has_operators

    reason = reason.strip()
    if force:
        missing = reason_required(reason, "--force needs --reason: why the running campaign's rules change")
        problems = missing or text_refusals("notice", reason=(reason, TYPED_TEXT_LIMIT))
        if problems:
            raise Refused(problems)
    forced = Forced(operator or "", reason) if force else None
    staffed = has_operators(conn)
    loaded: list[dict[str, object]] = []
    for path in paths:
        notice, change = load_notice(conn, path, forced)
        loaded.append({"campaign": notice.code, "year": notice.year, "change": change, "file": str(path)})
    if staffed and any(n["change"] != "unchanged" for n in loaded):
        # Changing a campaign's rules is an administrator's act (the change rolls back otherwise).
        acting(conn, operator, Role.ADMINISTRATOR)
    return loaded


def campaign_id(conn: sa.Connection, code: str | None) -> int:
    """The campaign by code; without a code, the only one or the latest year's."""
    query = sa.select(CAMPAIGNS.c.id, CAMPAIGNS.c.code)
    if code:
        row = conn.execute(query.where(CAMPAIGNS.c.code == code)).first()
        if row is None:
            known = ", ".join(conn.execute(sa.select(CAMPAIGNS.c.code)).scalars()) or "none"
            raise UnknownCampaign(f"campaign {code!r} is not loaded (loaded: {known})")
        return int(row.id)
    row = conn.execute(query.order_by(CAMPAIGNS.c.year.desc(), CAMPAIGNS.c.id.desc())).first()
    if row is None:
        raise UnknownCampaign("no campaign is loaded; run `chuding init --notice FILE`")
    return int(row.id)
