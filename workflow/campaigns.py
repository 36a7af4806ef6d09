"""Loading a notice into the database as a campaign."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from states.notice import Notice
from workflow import tables as t
from workflow.clock import SystemClock
from workflow.notices import parse_notice_text, read_notice_text

CAMPAIGN = t.Campaign.__table__  # type: ignore[attr-defined]


class UnknownCampaign(LookupError):
    pass


def load_notice(conn: sa.Connection, path: Path) -> tuple[Notice, str]:
    """Store the notice file as its campaign; says whether it is new, replaced or unchanged."""
    text = read_notice_text(path)
    notice = parse_notice_text(text, str(path))
    sha = hashlib.sha256(text.encode()).hexdigest()
    stored = conn.execute(
        sa.select(CAMPAIGN.c.notice_sha256).where(CAMPAIGN.c.code == notice.code)
    ).first()
    if stored is not None and stored.notice_sha256 == sha:
        return notice, "unchanged"
    values = {
        "year": notice.year, "title": notice.title, "source": str(path), "notice_text": text,
        "notice_sha256": sha, "loaded_at": SystemClock().now(),
    }
    if stored is None:
        conn.execute(sa.insert(CAMPAIGN).values(code=notice.code, **values))
        return notice, "new"
    conn.execute(sa.update(CAMPAIGN).where(CAMPAIGN.c.code == notice.code).values(**values))
    return notice, "replaced"


def campaign_id(conn: sa.Connection, code: str | None) -> int:
    """The campaign by code; without a code, the only one or the latest year's."""
    query = sa.select(CAMPAIGN.c.id, CAMPAIGN.c.code)
    if code:
        row = conn.execute(query.where(CAMPAIGN.c.code == code)).first()
        if row is None:
            known = ", ".join(conn.execute(sa.select(CAMPAIGN.c.code)).scalars()) or "none"
            raise UnknownCampaign(f"campaign {code!r} is not loaded (loaded: {known})")
        return int(row.id)
    row = conn.execute(query.order_by(CAMPAIGN.c.year.desc(), CAMPAIGN.c.id.desc())).first()
    if row is None:
        raise UnknownCampaign("no campaign is loaded; run `chuding init --notice FILE`")
    return int(row.id)
