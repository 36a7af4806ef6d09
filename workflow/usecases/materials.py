"""The applicant's materials: files uploaded to a slot of their case, kept by content,
described by a row, and shown only to those who may see the case.

A slot's files change only while the case is drafted or returned: from submission on,
what was submitted is what the reviewer sees. Every upload is a new version of its slot
(the earlier ones are kept, marked replaced) and a history row naming the slot and the
files' SHA-256 prefixes, so that what was submitted when can be shown years later.
Every time someone reads a file, an audit row says who saw which applicant's document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from states.notice import UploadLimits
from states.permissions import Act, may, roles_for
from states.refusals import Refusal, Refused
from states.status import Status
from states.values import Actor, Role
from workflow.inputs.scans import Scan, examine
from workflow.store import history
from workflow.store.audit import audit
from workflow.store.cases import LoadedCase, chunks, hold_case, load_visible
from workflow.store.materials import MaterialStore, MissingObject, names, sha256_of
from workflow.store.tables import MATERIAL_FILES
from workflow.usecases.access import Who, acting, viewing

# While these hold, a case's files may change; from submission on they are frozen.
OPEN_FOR_FILES = frozenset({Status.DRAFTED, Status.RETURNED})
MAX_FILES_AT_ONCE = 20  # the pages of one slot, given together


@dataclass(frozen=True)
class Upload:
    """A file as given: the name it came with (shown, never used as a path) and its bytes."""

    name: str
    data: bytes


def add_materials(engine: sa.Engine, store: MaterialStore, who: Who, case_id: int, slot: str,
                  uploads: list[Upload], now: datetime) -> dict[str, Any]:
    """`materials add`: the files become the slot's new version, all of them or none.

    The bytes are examined and written to the store before the transaction; an object a
    failed transaction leaves behind is named by no row, and ``verify_materials`` counts it.
    """
    with engine.connect() as conn:  # who, which case and which slot, before any file is read
        seen = load_visible(conn, viewing(conn, who, *roles_for(Act.UPLOAD)), case_id)
    found = _slot_refusals(seen, slot) + _frozen_refusals(seen)
    if not uploads or len(uploads) > MAX_FILES_AT_ONCE:
        found.append(Refusal("material.count", f"{slot}：一次上传 1 至 {MAX_FILES_AT_ONCE} 个文件", slot))
    if found:
        raise Refused(found)
    scans = _examined(slot, uploads, seen.view.notice.upload_limits)
    for scan in scans:
        store.put(scan.sha256, scan.data)
    with engine.begin() as conn:
        actor = acting(conn, who, *roles_for(Act.UPLOAD))
        hold_case(conn, case_id)
        case = load_visible(conn, actor, case_id)
        found = _frozen_refusals(case) + _case_limit_refusals(conn, case, slot, scans)  # again: a submit
        if found:  # or another upload may have come between
            raise Refused(found)
        state = case.view.state
        version = 1 + (conn.execute(sa.select(sa.func.max(MATERIAL_FILES.c.version))
                                    .where(MATERIAL_FILES.c.case_id == case_id, MATERIAL_FILES.c.slot == slot))
                       .scalar() or 0)
        conn.execute(sa.update(MATERIAL_FILES).where(MATERIAL_FILES.c.case_id == case_id, MATERIAL_FILES.c.slot == slot,
                                                     MATERIAL_FILES.c.replaced_at.is_(None)).values(replaced_at=now))
        rows: list[dict[str, Any]] = [{"case_id": case_id, "slot": slot, "version": version, "part": part,
                 "sha256": scan.sha256, "size": len(scan.data), "media_type": scan.media_type,
                 "pages": scan.pages, "file_name": _name(upload.name), "uploaded_by": actor.login,
                 "uploaded_at": now} for part, (scan, upload) in enumerate(zip(scans, uploads, strict=True), start=1)]
        conn.execute(sa.insert(MATERIAL_FILES), rows)
        history.record(conn, [history.entry(case_id, "material_added", state, state, actor, now, "", {
            "slot": slot, "version": version, "files": [r["sha256"][:12] for r in rows]})])
    for scan in scans:  # never a row naming a missing object, whatever collection ran meanwhile
        if not store.exists(scan.sha256):
            store.put(scan.sha256, scan.data)
    return {"case": case_id, "slot": slot, "name": _slot_names(case)[slot], "version": version,
            "files": [{k: r[k] for k in ("part", "sha256", "size", "media_type", "pages", "file_name")} for r in rows]}


def materials_for(engine: sa.Engine, who: Who, case_id: int) -> dict[str, Any]:
    """The case's slots, each with its current files (none: missing), as ``who`` may see
    them, and whether ``who`` may upload now (``open``)."""
    with engine.connect() as conn:
        actor = viewing(conn, who)
        return materials_of(conn, actor, load_visible(conn, actor, case_id))


def materials_of(conn: sa.Connection, actor: Actor, case: LoadedCase) -> dict[str, Any]:
    """``materials_for`` of a case ``actor`` has been shown may be seen (the case page's read)."""
    rows = conn.execute(sa.select(MATERIAL_FILES).where(MATERIAL_FILES.c.case_id == case.id,
                                                        MATERIAL_FILES.c.replaced_at.is_(None))
                        .order_by(MATERIAL_FILES.c.slot, MATERIAL_FILES.c.part)).all()
    files: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        files.setdefault(r.slot, []).append({
            "part": r.part, "version": r.version, "sha256": r.sha256, "size": r.size, "media_type": r.media_type,
            "pages": r.pages, "file_name": r.file_name, "uploaded_by": r.uploaded_by, "uploaded_at": r.uploaded_at})
    slots = [{"slot": item.code, "name": item.name, "files": files.get(item.code, [])}
             for item in case.view.notice.online_materials]
    return {"slots": slots, "open": case.view.state in OPEN_FOR_FILES and may(actor.role, Act.UPLOAD)}


def material_for(engine: sa.Engine, store: MaterialStore, who: Who, case_id: int, slot: str,
                 part: int = 1) -> tuple[dict[str, Any], bytes]:
    """One current file of a slot and its bytes; the view is an audit row, written first."""
    with engine.begin() as conn:
        actor = acting(conn, who)
        case = load_visible(conn, actor, case_id)
        if found := _slot_refusals(case, slot):
            raise Refused(found)
        row = conn.execute(sa.select(MATERIAL_FILES).where(
            MATERIAL_FILES.c.case_id == case_id, MATERIAL_FILES.c.slot == slot, MATERIAL_FILES.c.part == part,
            MATERIAL_FILES.c.replaced_at.is_(None))).one_or_none() if 1 <= part <= MAX_FILES_AT_ONCE else None
        if row is None:
            raise Refused([Refusal("material.missing", f"第 {case_id} 号申报的{slot}没有第 {part} 个文件", slot)])
        audit(conn, actor.login, "material.view", f"case{case_id}/{slot}/{part}", sha256=row.sha256)
    data = store.get(row.sha256)
    if sha256_of(data) != row.sha256:
        raise MissingObject(f"{row.sha256} (changed in the store)")
    return {"case": case_id, "slot": slot, "part": part, "sha256": row.sha256, "media_type": row.media_type,
            "file_name": row.file_name, "size": row.size}, data


def verify_materials(engine: sa.Engine, store: MaterialStore, who: Who) -> dict[str, Any]:
    """`materials verify`: every object a row names is re-read and re-hashed; what is
    missing or changed is listed, with the objects no row names (a failed upload's)."""
    with engine.connect() as conn:
        viewing(conn, who, Role.ADMINISTRATOR)
        named = sorted(set(conn.execute(sa.select(MATERIAL_FILES.c.sha256)).scalars()))
    missing, changed = [], []
    for sha in named:
        try:
            if sha256_of(store.get(sha)) != sha:
                changed.append(sha)
        except MissingObject:
            missing.append(sha)
    unnamed = sorted(set(names(store)) - set(named))
    return {"ok": not missing and not changed, "store": store.where, "checked": len(named),
            "missing": missing, "changed": changed, "unnamed": unnamed}


# How long an object no row names is kept: an upload writes its bytes, then its row, in
# moments; what is unnamed for this long was left by an upload that failed.
UNNAMED_GRACE = timedelta(hours=1)


def collect_unnamed(engine: sa.Engine, store: MaterialStore, now: datetime,
                    grace: timedelta = UNNAMED_GRACE) -> int:
    """The leading service's collection: objects that no row names, stored longer than
    ``grace`` before ``now`` (an upload that stores them again marks them new), and what
    writers killed mid-way left. Returns how many it removed."""
    partial = store.forget_partial(now - grace)
    old = {name for name, stored_at in store.listing() if stored_at < now - grace}
    if not old:
        return partial
    named: set[str] = set()
    with engine.connect() as conn:
        for part in chunks(sorted(old)):
            named.update(conn.execute(sa.select(MATERIAL_FILES.c.sha256).where(MATERIAL_FILES.c.sha256.in_(part)))
                         .scalars())
    for name in sorted(old - named):
        store.delete(name)
    return partial + len(old - named)


def _slot_names(case: LoadedCase) -> dict[str, str]:
    return {item.code: item.name for item in case.view.notice.online_materials}


def _slot_refusals(case: LoadedCase, slot: str) -> list[Refusal]:
    names = _slot_names(case)
    if slot in names:
        return []
    known = "、".join(f"{code}（{name}）" for code, name in names.items())
    return [Refusal("material.slot", f"没有名为 {slot[:64]!r} 的材料项（可选：{known}）", "slot")]


def _frozen_refusals(case: LoadedCase) -> list[Refusal]:
    state = case.view.state
    if state in OPEN_FOR_FILES:
        return []
    return [Refusal("material.frozen", f"申报处于“{state.label}”状态，材料已随提交冻结，不能再更改", "state")]


def _examined(slot: str, uploads: list[Upload], limits: UploadLimits) -> list[Scan]:
    """Every file examined; every file's refusal at once, or the files as they are kept."""
    scans, found = [], []
    for upload in uploads:
        try:
            scans.append(examine(slot, _name(upload.name), upload.data, limits))
        except Refused as err:
            found += err.refusals
    if found:
        raise Refused(found)
    return scans


def _name(given: str) -> str:
    """The name a file came with, as text to show: no folders, no control characters, not long."""
    base = given.replace("\\", "/").rsplit("/", 1)[-1]
    shown = "".join(ch if ch.isprintable() else "�" for ch in base).strip() or "未命名"
    return shown[:120]


def _case_limit_refusals(conn: sa.Connection, case: LoadedCase, slot: str, scans: list[Scan]) -> list[Refusal]:
    kept = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(MATERIAL_FILES.c.size), 0)).where(
        MATERIAL_FILES.c.case_id == case.id, MATERIAL_FILES.c.replaced_at.is_(None),
        MATERIAL_FILES.c.slot != slot)).scalar_one()
    limit = case.view.notice.upload_limits.case_bytes
    if kept + sum(len(s.data) for s in scans) <= limit:
        return []
    return [Refusal("material.case_size", f"{slot}：本申报的材料合计将超过 {limit // 1048576} MB", slot)]
