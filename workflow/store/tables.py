"""The database tables. Instants are stored in UTC and read back timezone-aware."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# The outbox's table is the outbox's own; imported here so that one metadata holds every table.
from notifications.columns import UTCDateTime
from notifications.columns import instant as _instant
from notifications.outbox import OutboxMessage

__all__ = ["OutboxMessage", "UTCDateTime"]


class Unit(SQLModel, table=True):
    """A recommending unit (推荐单位)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    level: str = Field(max_length=32)
    type: str = Field(max_length=64)
    email: str | None = Field(default=None, max_length=254)  # told when its publicity completes
    phone: str | None = Field(default=None, max_length=20)


class Applicant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    id_number: str = Field(unique=True, max_length=18)
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)


class Campaign(SQLModel, table=True):
    """One notice: the config text as loaded, so every command reads the same rules."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    year: int
    title: str
    source: str
    notice_text: str
    notice_sha256: str = Field(max_length=64)
    loaded_at: datetime = _instant()
    # The campaign's own key for the 评审表's verification codes, made when it is loaded.
    form_key: str = Field(max_length=64)


class Case(SQLModel, table=True):
    """One application of one applicant in one campaign."""

    __tablename__ = "application_case"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "applicant_id", name="uq_case_campaign_applicant"),
        sa.Index("ix_case_campaign_state", "campaign_id", "state"),
        # A unit's cases in a state: its publicity documents, its operator's work.
        sa.Index("ix_case_unit_state", "unit_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    applicant_id: int = Field(foreign_key="applicant.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    state: str = Field(max_length=32)
    version: int = 1  # optimistic lock: every change adds one
    application: str  # the declared facts as JSON (see workflow.usecases.importer)
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class Material(SQLModel, table=True):
    """An online file reference, or a paper checklist item received."""

    __table_args__ = (sa.UniqueConstraint("case_id", "kind", "code", name="uq_material"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="application_case.id", index=True)
    kind: str = Field(max_length=16)  # online | paper
    code: str = Field(max_length=64)
    reference: str = ""
    recorded_at: datetime = _instant()


class MaterialFile(SQLModel, table=True):
    """A file of a case's material slot, as uploaded: what describes it. Its bytes are in
    the materials store under their SHA-256; every version is kept (``replaced_at``)."""

    __tablename__ = "material_file"
    __table_args__ = (sa.UniqueConstraint("case_id", "slot", "version", "part", name="uq_material_file"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="application_case.id", index=True)
    slot: str = Field(max_length=64)
    version: int  # the slot's upload, counted from 1
    part: int  # the file's place among that upload's files (the pages of one)
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str = Field(max_length=32)
    pages: int
    file_name: str = Field(max_length=200)  # as uploaded, shown as text, never used as a path
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = _instant()
    replaced_at: datetime | None = _instant(nullable=True)


class Publicity(SQLModel, table=True):
    """The unit's publicity (公示) of one case."""

    case_id: int = Field(foreign_key="application_case.id", primary_key=True)
    started_at: datetime = _instant()
    completes_at: datetime = _instant()
    closed_at: datetime | None = _instant(nullable=True)
    opinion: str | None = None
    completed_at: datetime | None = _instant(nullable=True)  # by the service


class Objection(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="application_case.id", index=True)
    text: str
    raised_at: datetime = _instant()
    upheld: bool | None = None  # None while open
    resolution: str | None = None
    resolved_at: datetime | None = _instant(nullable=True)


class History(SQLModel, table=True):
    """One row per event on a case: the audit trail."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="application_case.id", index=True)
    event: str = Field(max_length=32)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str = Field(max_length=32)
    actor: str = Field(max_length=64)
    role: str = Field(max_length=32)
    reason: str = ""
    details: str = "{}"  # JSON: what the event carried (items, objection, ...)
    effective_at: datetime = _instant()  # the clock's time
    recorded_at: datetime = _instant()  # the wall clock's


class Ban(SQLModel, table=True):
    """A fraud ban: by ID number, across campaigns."""

    id: int | None = Field(default=None, primary_key=True)
    id_number: str = Field(max_length=18, index=True)
    case_id: int = Field(foreign_key="application_case.id", unique=True)
    fraud_year: int
    first_year: int
    last_year: int
    ends_at: datetime = _instant()
    reason: str
    created_at: datetime = _instant()
    created_by: str = Field(max_length=64)
    lifted_at: datetime | None = _instant(nullable=True)
    lifted_by: str | None = Field(default=None, max_length=64)
    lift_reason: str | None = None
    ended_at: datetime | None = _instant(nullable=True)  # recorded by the service


class Operator(SQLModel, table=True):
    """A member of staff allowed to act, with one role (and one unit for unit operators)."""

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    email: str | None = Field(default=None, max_length=254)  # reviewers are warned by e-mail
    phone: str | None = Field(default=None, max_length=20)
    active: bool = True
    created_at: datetime = _instant()
    # Logging in (the web pages): an Argon2 hash, never the password; a password set by
    # someone else (or printed once by `init`) must be changed at first login.
    password_hash: str | None = Field(default=None, max_length=255)
    password_must_change: bool = False


class LoginThrottle(SQLModel, table=True):
    """Failed logins counted per address, per login and per login at one address, so that
    a stranger is slowed before any password is checked and cannot lock out the owner at
    their own address; kept in the database so that every replica counts alike. A "known"
    row remembers an address a login last succeeded from (``window_start``)."""

    __tablename__ = "login_throttle"

    kind: str = Field(primary_key=True, max_length=16)  # address, login, pair, known
    login: str = Field(default="", primary_key=True, max_length=64)
    address: str = Field(default="", primary_key=True, max_length=100)
    failures: int = 0
    window_start: datetime = _instant()
    blocked_until: datetime | None = _instant(nullable=True)


class SiteKey(SQLModel, table=True):
    """A secret the replicas share, made at `init`: the login form's signed token."""

    __tablename__ = "site_key"

    name: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=128)


class ReminderRun(SQLModel, table=True):
    """A reminder of a campaign that has been written to the outbox: it is not written again."""

    __tablename__ = "reminder_run"

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=64)
    messages: int
    done_at: datetime = _instant()


class Audit(SQLModel, table=True):
    """An administrative act that is not a case's event: who, what, why, when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _instant()
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    reason: str = ""
    details: str = "{}"


class ServiceInstance(SQLModel, table=True):
    """A running `chuding serve`: its heartbeat, and whether it leads the schedule."""

    __tablename__ = "service_instance"

    id: str = Field(primary_key=True, max_length=100)
    host: str = Field(max_length=100)
    pid: int
    started_at: datetime = _instant()
    heartbeat_at: datetime = _instant()
    leading: bool = False
    last_sweep_at: datetime | None = _instant(nullable=True)
    last_error: str | None = Field(default=None, max_length=2000)
    last_error_at: datetime | None = _instant(nullable=True)


class LoginSession(SQLModel, table=True):
    """A logged-in operator's session, kept on the server so that any replica can serve it
    and it can be revoked. The browser holds the token; only its SHA-256 is stored."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)  # SHA-256 of the token, hex
    operator_id: int = Field(foreign_key="operator.id", index=True)
    csrf: str = Field(max_length=64)  # the token every form of this session carries
    address: str = Field(default="", max_length=100)
    created_at: datetime = _instant()
    last_seen_at: datetime = _instant()
    expires_at: datetime = _instant()  # the absolute end, however active
    revoked_at: datetime | None = _instant(nullable=True)


def _core(model: type[SQLModel]) -> sa.Table:
    return model.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models


# Each table once, as a Core object, by its real name: the hot paths speak SQL, not the
# ORM's unit of work.
CASES = _core(Case)
APPLICANTS = _core(Applicant)
UNITS = _core(Unit)
CAMPAIGNS = _core(Campaign)
MATERIALS = _core(Material)
MATERIAL_FILES = _core(MaterialFile)
PUBLICITIES = _core(Publicity)
OBJECTIONS = _core(Objection)
HISTORY = _core(History)
BANS = _core(Ban)
OPERATORS = _core(Operator)
REMINDER_RUNS = _core(ReminderRun)
AUDIT = _core(Audit)
SERVICES = _core(ServiceInstance)
SESSIONS = _core(LoginSession)
LOGIN_THROTTLE = _core(LoginThrottle)
SITE_KEYS = _core(SiteKey)
