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

from states.materials import Place, places
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

# Who may change a provider's slots, and in which states: the applicant's files while the
# case is drafted or returned (frozen from submission on); the unit's scans while its
# publicity runs, until it closes it.
OPEN_FOR_FILES = {"applicant": (Act.UPLOAD, frozenset({Status.DRAFTED, Status.RETURNED})),
                  "unit": (Act.POST_PUBLICITY, frozenset({Status.UNIT_PUBLICITY}))}
UPLOADERS = roles_for(Act.UPLOAD) | roles_for(Act.POST_PUBLICITY)
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
        viewer = viewing(conn, who, *UPLOADERS)
        seen = load_visible(conn, viewer, case_id)
    place, found = _place(seen, slot)
    found += _frozen_refusals(viewer, seen, place)
    if not uploads or len(uploads) > MAX_FILES_AT_ONCE:
        found.append(Refusal("material.count", f"{slot}：一次上传 1 至 {MAX_FILES_AT_ONCE} 个文件", slot))
    if found:
        raise Refused(found)
    assert place is not None
    scans = examined(place, uploads, seen.view.notice.upload_limits)
    for scan in scans:
        store.put(scan.sha256, scan.data)
    with engine.begin() as conn:
        actor = acting(conn, who, *UPLOADERS)
        hold_case(conn, case_id)
        case = load_visible(conn, actor, case_id)
        found = _frozen_refusals(actor, case, place) + _case_limit_refusals(conn, case, slot, scans)  # again: a submit
        if found:  # or another upload may have come between
            raise Refused(found)
        version, rows = write_version(conn, case_id, case.view.state, slot, scans, uploads, actor, now)
    kept(store, scans)
    return {"case": case_id, "slot": slot, "name": place.label, "version": version,
            "files": [{k: r[k] for k in ("part", "sha256", "size", "media_type", "pages", "file_name")} for r in rows]}


def write_version(conn: sa.Connection, case_id: int, state: Status, slot: str, scans: list[Scan],
                  uploads: list[Upload], actor: Actor, now: datetime,
                  own_history: bool = True) -> tuple[int, list[dict[str, Any]]]:
    """The slot's next version, in the caller's transaction: the earlier files marked
    replaced, a row per file, a history row naming the slot and the files' SHA-256 (an
    import names them in its own row instead: ``own_history`` False)."""
    version = 1 + (conn.execute(sa.select(sa.func.max(MATERIAL_FILES.c.version))
                                .where(MATERIAL_FILES.c.case_id == case_id, MATERIAL_FILES.c.slot == slot))
                   .scalar() or 0)
    conn.execute(sa.update(MATERIAL_FILES).where(MATERIAL_FILES.c.case_id == case_id, MATERIAL_FILES.c.slot == slot,
                                                 MATERIAL_FILES.c.replaced_at.is_(None)).values(replaced_at=now))
    rows = [file_row(case_id, slot, version, part, scan, upload, actor, now)
            for part, (scan, upload) in enumerate(zip(scans, uploads, strict=True), start=1)]
    conn.execute(sa.insert(MATERIAL_FILES), rows)
    if own_history:
        history.record(conn, [history.entry(case_id, "material_added", state, state, actor, now, "", {
            "slot": slot, "version": version, "files": [r["sha256"][:12] for r in rows]})])
    return version, rows


def file_row(case_id: int, slot: str, version: int, part: int, scan: Scan, upload: Upload, actor: Actor,
             now: datetime) -> dict[str, Any]:
    """What describes one file of a slot's version (its bytes are the store's)."""
    return {"case_id": case_id, "slot": slot, "version": version, "part": part, "sha256": scan.sha256,
            "size": len(scan.data), "media_type": scan.media_type, "pages": scan.pages,
            "file_name": _name(upload.name), "uploaded_by": actor.login, "uploaded_at": now}


def kept(store: MaterialStore, scans: list[Scan]) -> None:
    """After the commit: never a row naming a missing object, whatever collection ran meanwhile."""
    for scan in scans:
        if not store.exists(scan.sha256):
            store.put(scan.sha256, scan.data)


def examined(place: Place, uploads: list[Upload], limits: UploadLimits) -> list[Scan]:
    """Every file examined; every file's refusal at once, or the files as they are kept."""
    scans, found = [], []
    for upload in uploads:
        try:
            scans.append(examine(place, _name(upload.name), upload.data, limits))
        except Refused as err:
            found += err.refusals
    if found:
        raise Refused(found)
    return scans


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
    view = case.view
    slots = [{"slot": p.key, "name": p.label, "provider": p.slot.provider, "needed": p.needed,
              "pages": p.slot.pages, "photo": p.slot.photo, "files": files.get(p.key, []),
              "accept": ",".join(sorted(p.slot.media_types)),
              "returned": view.returned.get(p.key), "open": not _frozen_refusals(actor, case, p)}
             for p in places(view.application, view.notice)]
    return {"slots": slots, "open": any(s["open"] for s in slots)}


def material_for(engine: sa.Engine, store: MaterialStore, who: Who, case_id: int, slot: str,
                 part: int = 1) -> tuple[dict[str, Any], bytes]:
    """One current file of a slot and its bytes; the view is an audit row, written first."""
    with engine.begin() as conn:
        actor = acting(conn, who)
        case = load_visible(conn, actor, case_id)
        if found := _place(case, slot)[1]:
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


def _place(case: LoadedCase, key: str) -> tuple[Place | None, list[Refusal]]:
    """The case's place named ``key`` (id_scan, diploma-1…), or a refusal listing them."""
    placed = places(case.view.application, case.view.notice)
    place = next((p for p in placed if p.key == key), None)
    if place is not None:
        return place, []
    known = "、".join(f"{p.key}（{p.label}）" for p in placed)
    return None, [Refusal("material.slot", f"没有名为 {key[:64]!r} 的材料项（可选：{known}）", "slot")]


def _frozen_refusals(actor: Actor, case: LoadedCase, place: Place | None) -> list[Refusal]:
    """Whether ``actor`` may change ``place``'s files now (its provider's act, its states)."""
    if place is None:
        return []
    act, states = OPEN_FOR_FILES[place.slot.provider]
    if not may(actor.role, act):
        who = "推荐单位" if place.slot.provider == "unit" else "申报经办人"
        return [Refusal("material.provider", f"{place.label}由{who}上传", "slot")]
    view = case.view
    if view.state not in states:
        return [Refusal("material.frozen", f"申报处于“{view.state.label}”状态，{place.label}不能更改"
                        + ("（材料已随提交冻结）" if place.slot.provider == "applicant" else ""), "state")]
    if place.slot.provider == "unit" and view.publicity.passed:
        return [Refusal("material.frozen", f"公示已结束，{place.label}不能更改", "state")]
    return []


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
