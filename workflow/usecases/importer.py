"""Importing applications from JSON: the whole file, or nothing.

A file holds one record (an object) or many (a list). Every problem of every record
is reported with the record's number, the applicant's masked ID number and the field;
if there is any, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from notifications.outbox import case_key, enqueue
from states import idnumber
from states.clock import in_beijing
from states.materials import places
from states.notice import Notice
from states.permissions import Act, roles_for
from states.refusals import Refusal, Refused
from states.status import Status
from states.values import Actor
from workflow.errors import Conflict, ImportRefused, Problem
from workflow.inputs.attached import Attached, AttachedProblem
from workflow.inputs.import_file import masked_id, read_records, validate_records
from workflow.inputs.records import (
    ApplicationRecord,
    notice_problems,
    raw_notice_problems,
    time_problems,
)
from workflow.inputs.scans import Scan, examine
from workflow.store import history
from workflow.store.cases import loaded_notices, notice_of
from workflow.store.materials import MaterialStore
from workflow.store.stored_application import application_json
from workflow.store.tables import APPLICANTS, CASES, MATERIAL_FILES, MATERIALS, UNITS
from workflow.usecases.access import Who, acting, viewing
from workflow.usecases.campaigns import UnknownCampaign, campaign_id
from workflow.usecases.materials import Upload, file_row, kept, write_version
from workflow.usecases.messages import case_context, to_person

AMENDABLE = (Status.DRAFTED, Status.RETURNED)
# Told how far a long import has got: (records done, records in all).
Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    amended: list[int] = field(default_factory=list)


# Who may import a file of applications (the bureau's clerks and administrators).
IMPORTERS = tuple(roles_for(Act.IMPORT))


def may_import(engine: sa.Engine, who: Who) -> bool:
    """Whether ``who`` may import: the page offers its form only to them."""
    with engine.connect() as conn:
        return viewing(conn, who).role in IMPORTERS


def import_template(engine: sa.Engine, who: Who, path: Path, replace: bool = False) -> None:
    """`template` and the import page's download: the import workbook for the newest
    campaign's notice, for those who may import. An existing file is replaced only when
    asked (a filled-in workbook of the same name may be a day's work)."""
    from workflow.inputs.workbook import write_template

    with engine.connect() as conn:
        viewing(conn, who, *IMPORTERS)
        notices = loaded_notices(conn)
    if not notices:
        raise Refused([Refusal("template.notice", "尚未载入任何通知：先运行 chuding init", "notice")])
    if path.exists() and not replace:
        raise Refused([Refusal("template.exists", f"{path} 已存在：换一个文件名，或加 --force 覆盖", "file")])
    write_template(path, notices[-1][1])


def import_file(
    engine: sa.Engine, data: bytes, source: str, who: Who, now: datetime,
    campaign: str | None = None, progress: Progress | None = None, files: Files | None = None,
) -> ImportResult:
    """Both doors' import of a file as given: the import workbook (a zip file), else JSON
    text in UTF-8. Who may import is settled before the file is read."""
    with engine.connect() as conn:
        viewing(conn, who, *IMPORTERS)
    if data.startswith(b"PK\x03\x04"):
        return import_workbook(engine, data, source, who, now, campaign, progress, files)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ImportRefused(source, [Problem(None, "", "编码", f"第 {err.start + 1} 个字节起不是 UTF-8 编码，"
                                             "未导入任何申报", "import.file")]) from None
    return import_applications(engine, text, source, who, now, campaign, progress, files)


def import_applications(
    engine: sa.Engine, text: str, source: str, who: Who, now: datetime,
    campaign: str | None = None, progress: Progress | None = None, files: Files | None = None,
) -> ImportResult:
    """`import`: an applicant clerk (or administrator) imports a file of applications."""
    return import_records(engine, read_records(text, source), source, who, now, campaign, progress=progress,
                          files=files)


def import_workbook(
    engine: sa.Engine, data: bytes, source: str, who: Who, now: datetime,
    campaign: str | None = None, progress: Progress | None = None, files: Files | None = None,
) -> ImportResult:
    """The same, from the import workbook (`chuding template`): its problems named by
    sheet, row and column header."""
    from workflow.inputs.workbook_read import read_workbook

    with engine.connect() as conn:
        notices = loaded_notices(conn)
    if not notices:
        raise ImportRefused(source, [Problem(None, "", "(campaign)", "尚未载入任何通知：先运行 chuding init",
                                             "import.campaign")])
    raw, locate = read_workbook(data, source, notices[-1][1])
    return import_records(engine, raw, source, who, now, campaign, locate, progress, files)


@dataclass(frozen=True)
class Files:
    """The files an import's records name (a folder or a zip), and the store they go to."""

    attached: Attached
    store: MaterialStore


# A record's files as examined: (the place, its file as given, as kept), by record number.
Examined = dict[int, list[tuple[str, Upload, Scan]]]


def import_records(
    engine: sa.Engine, raw: list[Any], source: str, who: Who, now: datetime,
    campaign: str | None = None, locate: Callable[[Problem], Problem] | None = None,
    progress: Progress | None = None, files: Files | None = None,
) -> ImportResult:
    """Records as read from a file, checked and stored all together or not at all; with
    ``files``, every file a record names is examined like an upload and becomes the
    first version of its place, or a named problem."""
    records, problems = validate_records(raw)
    examined_files: Examined = {}
    if files is not None:
        examined_files, file_problems = _examine_named(engine, records, campaign, files.attached)
        problems += file_problems
        if not problems:
            for scan in {s.sha256: s for found in examined_files.values() for _, _, s in found}.values():
                files.store.put(scan.sha256, scan.data)
    seen: dict[str, int] = {}
    for number, rec in enumerate(records, start=1):
        if rec is None:
            continue
        first = seen.setdefault(rec.applicant.id_number, number)
        if first != number:
            problems.append(Problem(
                number, idnumber.mask(rec.applicant.id_number), "applicant.id_number",
                f"与第 {first} 条是同一人：每人每年度只能申报一次", "import.duplicate_person",
            ))
    result = ImportResult()
    with engine.begin() as conn:
        actor = acting(conn, who, *IMPORTERS)
        lookup = _campaign_lookup(conn)
        today = in_beijing(now).date()
        for number, (item, rec) in enumerate(zip(raw, records, strict=True), start=1):
            if rec is not None:
                problems += [Problem(number, idnumber.mask(rec.applicant.id_number), f, m, "import.date")
                             for f, m in time_problems(rec, today)]
            if rec is not None and not problems:
                problems += _store(conn, number, rec, actor, now, campaign, result, lookup,
                                   examined_files.get(number, []))
            else:
                problems += _notice_only(number, item, rec, campaign, lookup)
            if progress is not None and (number % 100 == 0 or number == len(raw)):
                progress(number, len(raw))
        if problems:
            named = [locate(p) for p in problems] if locate else problems
            raise ImportRefused(source, sorted(named, key=lambda p: p.record or 0))  # rolls back every record
    if files is not None:
        kept(files.store, [s for found in examined_files.values() for _, _, s in found])
    return result


def _examine_named(engine: sa.Engine, records: list[ApplicationRecord | None], default_campaign: str | None,
                   attached: Attached) -> tuple[Examined, list[Problem]]:
    """Every file each record names, read from what was attached and examined like an
    upload: the files as kept, by record, and every problem with its record and field."""
    found: Examined = {}
    problems: list[Problem] = []
    with engine.connect() as conn:
        lookup = _campaign_lookup(conn)
        for number, rec in enumerate(records, start=1):
            resolved = lookup(rec.campaign or default_campaign) if rec is not None else None
            if rec is None or resolved is None or isinstance(resolved, UnknownCampaign):
                continue  # its own problem is reported where the record is checked
            who = idnumber.mask(rec.applicant.id_number)
            notice = resolved[1]
            placed = {p.key: p for p in places(rec.to_domain(), notice)}
            for key, where, name in rec.references():
                place = placed.get(key)
                if place is None:  # e.g. a certificate of a year the notice does not ask for: kept as a name
                    continue
                try:
                    upload = Upload(name, attached.read(name, notice.upload_limits.file_bytes + 1))
                    scan = examine(place, name, upload.data, notice.upload_limits)
                except AttachedProblem as err:
                    problems.append(Problem(number, who, where, str(err), "import.file"))
                    continue
                except Refused as err:
                    problems += [Problem(number, who, where, r.message, "import.file") for r in err.refusals]
                    continue
                found.setdefault(number, []).append((key, upload, scan))
            total = sum(len(s.data) for _, _, s in found.get(number, []))
            if total > notice.upload_limits.case_bytes:
                problems.append(Problem(number, who, "materials", f"所附文件合计超过每份申报 "
                                        f"{notice.upload_limits.case_bytes // 1048576} MB 的上限", "import.file"))
    return found, problems


def _notice_only(number: int, item: Any, rec: ApplicationRecord | None, default_campaign: str | None,
                 campaigns: CampaignLookup) -> list[Problem]:
    """What the notice tells of a record that is not stored (its file is refused): checked
    on the record as read when its shape failed, so one run reports every problem."""
    if not isinstance(item, dict):
        return []
    named = item.get("campaign")
    resolved = campaigns(named if isinstance(named, str) else default_campaign)
    who = idnumber.mask(rec.applicant.id_number) if rec else masked_id(item)
    if isinstance(resolved, UnknownCampaign):
        return [Problem(number, who, "campaign", str(resolved), "import.campaign")]
    found = notice_problems(rec, resolved[1]) if rec else raw_notice_problems(item, resolved[1])
    return [Problem(number, who, f, m, "import.notice") for f, m in found]


CampaignLookup = Callable[[str | None], "tuple[int, Notice] | UnknownCampaign"]


def _campaign_lookup(conn: sa.Connection) -> CampaignLookup:
    """Each campaign named in a file is looked up once, however many records name it."""
    known: dict[str | None, tuple[int, Notice] | UnknownCampaign] = {}

    def lookup(code: str | None) -> tuple[int, Notice] | UnknownCampaign:
        if code not in known:
            try:
                campaign_pk = campaign_id(conn, code)
                known[code] = (campaign_pk, notice_of(conn, campaign_pk))
            except UnknownCampaign as err:
                known[code] = err
        return known[code]

    return lookup


def _store(
    conn: sa.Connection, number: int, rec: ApplicationRecord, actor: Actor, now: datetime,
    default_campaign: str | None, result: ImportResult, campaigns: CampaignLookup,
    files: list[tuple[str, Upload, Scan]],
) -> list[Problem]:
    who = idnumber.mask(rec.applicant.id_number)

    def problem(where: str, message: str) -> list[Problem]:
        return [Problem(number, who, where, message)]

    resolved = campaigns(rec.campaign or default_campaign)
    if isinstance(resolved, UnknownCampaign):
        return problem("campaign", str(resolved))
    campaign_pk, notice = resolved
    found = [Problem(number, who, f, m) for f, m in notice_problems(rec, notice)]
    unit_id, unit_problems = _unit(conn, rec)
    applicant_id, applicant_problems = _applicant(conn, rec)
    found += [Problem(number, who, f, m) for f, m in unit_problems + applicant_problems]
    if found:
        return found
    existing = conn.execute(
        sa.select(CASES.c.id, CASES.c.state, CASES.c.version)
        .where(CASES.c.campaign_id == campaign_pk, CASES.c.applicant_id == applicant_id)
    ).first()
    if existing and Status(existing.state) not in AMENDABLE:
        return problem("applicant.id_number", (
            f"already has case {existing.id} in {notice.code}, now {existing.state};"
            " only a drafted or returned application can be replaced"
        ))
    case_id = _write_case(conn, campaign_pk, applicant_id, unit_id, rec, actor, now, existing, result, notice,
                          {key: scan.sha256[:12] for key, _, scan in files})
    if existing is not None:  # the next version of each place the record names again
        for key, upload, scan in files:
            write_version(conn, case_id, Status(existing.state), key, [scan], [upload], actor, now,
                          own_history=False)
    elif files:  # a new case: each place's first version, in one statement
        conn.execute(sa.insert(MATERIAL_FILES), [file_row(case_id, key, 1, 1, scan, upload, actor, now)
                                                 for key, upload, scan in files])
    return []


def _write_case(
    conn: sa.Connection, campaign_pk: int, applicant_id: int, unit_id: int, rec: ApplicationRecord,
    actor: Actor, now: datetime, existing: Any, result: ImportResult, notice: Notice, files: dict[str, str],
) -> int:
    """The case created or amended, its history row naming the files attached (place: SHA-256 prefix)."""
    details = {"files": files} if files else None
    values = {"unit_id": unit_id, "application": application_json(rec.to_domain()), "updated_at": now}
    if existing:
        case_id, state = existing.id, Status(existing.state)
        # The same version-checked path as every event: an amend applies only to the case
        # as it was read (still drafted or returned), and a concurrent event on either
        # side meets the conflict.
        amended = conn.execute(
            sa.update(CASES).where(CASES.c.id == case_id, CASES.c.version == existing.version,
                               CASES.c.state.in_([s.value for s in AMENDABLE]))
            .values(version=existing.version + 1, **values)
        ).rowcount
        if amended != 1:
            raise Conflict(case_id, existing.version)
        conn.execute(sa.delete(MATERIALS).where(MATERIALS.c.case_id == case_id, MATERIALS.c.kind == "online"))
        history.record(conn, [history.entry(case_id, "amend", state, state, actor, now, "", details)])
        result.amended.append(case_id)
    else:
        case_id = conn.execute(sa.insert(CASES).returning(CASES.c.id), {
            "campaign_id": campaign_pk, "applicant_id": applicant_id, "state": Status.DRAFTED.value,
            "version": 1, "created_at": now, **values,
        }).scalar_one()
        history.record(conn, [history.entry(case_id, "import", None, Status.DRAFTED, actor, now, "", details)])
        result.created.append(case_id)
    kind = "amend" if existing else "import"
    version = existing.version + 1 if existing else 1
    context = case_context(notice, rec.to_domain(), now)
    person = rec.applicant
    enqueue(conn, to_person(case_key(case_id, version, kind), kind, case_id, campaign_pk, context,
                               person.email, person.phone))
    if rec.materials:
        conn.execute(sa.insert(MATERIALS), [
            {"case_id": case_id, "kind": "online", "code": code, "reference": ref, "recorded_at": now}
            for code, ref in rec.materials.items()
        ])
    return int(case_id)


def _unit(conn: sa.Connection, rec: ApplicationRecord) -> tuple[int, list[tuple[str, str]]]:
    row = conn.execute(sa.select(UNITS).where(UNITS.c.code == rec.unit.code)).first()
    if row is None:
        return conn.execute(sa.insert(UNITS).returning(UNITS.c.id), rec.unit.model_dump()).scalar_one(), []
    identity = rec.unit.model_dump(exclude={"email", "phone"})
    differ = [
        (f"unit.{name}", f"单位 {rec.unit.code} 已登记为 {getattr(row, name)!r}，与 {value!r} 不一致")
        for name, value in identity.items()
        if getattr(row, name) != value
    ]
    contact = rec.unit.model_dump(include={"email", "phone"}, exclude_none=True)
    if contact and not differ:
        conn.execute(sa.update(UNITS).where(UNITS.c.id == row.id).values(**contact))
    return row.id, differ


def _applicant(conn: sa.Connection, rec: ApplicationRecord) -> tuple[int, list[tuple[str, str]]]:
    person = rec.applicant
    row = conn.execute(sa.select(APPLICANTS).where(APPLICANTS.c.id_number == person.id_number)).first()
    contact = {"phone": person.phone, "email": person.email}
    if row is None:
        values = {"id_number": person.id_number, "name": person.name, **contact}
        return conn.execute(sa.insert(APPLICANTS).returning(APPLICANTS.c.id), values).scalar_one(), []
    if row.name != person.name:
        return row.id, [("applicant.name", f"该身份证号已登记为 {row.name}，与 {person.name} 不一致")]
    conn.execute(sa.update(APPLICANTS).where(APPLICANTS.c.id == row.id).values(**contact))  # contact may change
    return row.id, []
