"""A campaign in a real database, with one operator per role, for the integration tests."""

from __future__ import annotations

import functools
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from states.values import SERVICE_ACTOR, Actor, Event
from tests.support.helpers import EXAMPLE_FILE, NOTICE_FILE, bj
from workflow.inputs.attached import Attached
from workflow.store.materials import MaterialStore, open_store
from workflow.store.tables import CASES, HISTORY, OBJECTIONS, PUBLICITIES
from workflow.usecases.access import identify
from workflow.usecases.campaigns import load_notice
from workflow.usecases.events import Transition, run_event
from workflow.usecases.importer import Files, ImportResult, import_applications
from workflow.usecases.materials import Upload, add_materials, materials_for
from workflow.usecases.operators import add_operator

OPERATORS = [
    ("admin", "administrator", None),
    ("clerk", "applicant_clerk", None),
    ("reviewer", "county_reviewer", None),
    ("paper", "county_clerk", None),
    ("approver", "county_approver", None),
]
UNIT_SCANS = {"publicity_notice": "files/units/publicity.pdf", "publicity_result": "files/units/publicity-result.pdf"}
UNIT_OF = {"LT-SL-01": "water", "LT-ED-07": "school"}


@functools.cache
def _shared_store() -> MaterialStore:
    """One private folder per test process for the worlds that name no store: objects are
    named by their content, so the sample scans are stored (and flushed) once, not per test."""
    return open_store(f"file://{tempfile.mkdtemp(prefix='chuding-world-')}", "")


class World:
    """``store`` keeps the applicants' files (a private temporary folder unless given)."""

    def __init__(self, engine: sa.Engine, store: MaterialStore | None = None):
        self.engine = engine
        self.store = store or _shared_store()
        with engine.begin() as conn:
            load_notice(conn, NOTICE_FILE)
            for login, role, unit in OPERATORS:
                add_operator(conn, login, login, role, unit)

    def actor(self, login: str) -> Actor:
        if login == SERVICE_ACTOR.login:
            return SERVICE_ACTOR
        with self.engine.connect() as conn:
            return identify(conn, login)

    @staticmethod
    def who(login: str) -> str | Actor:
        """What a front door passes: a login (the service acts as itself)."""
        return SERVICE_ACTOR if login == SERVICE_ACTOR.login else login

    def import_(self, records: list[dict[str, Any]], now: datetime | None = None,
                login: str = "clerk", files: bool | Path = True) -> ImportResult:
        """The records imported as a clerk would, with the files they name: from the folder
        beside the sample applications, or the folder ``files`` names; none if False."""
        text = json.dumps(records, ensure_ascii=False)
        folder = EXAMPLE_FILE.parent if files is True else files
        attached = Files(Attached.open(folder), self.store) if folder else None
        result = import_applications(self.engine, text, "test.json", self.who(login), now or bj(2024, 9, 28),
                                     files=attached)
        self._unit_operators()
        return result

    def _unit_operators(self) -> None:
        with self.engine.begin() as conn:
            for unit, login in UNIT_OF.items():
                known = conn.execute(sa.text("SELECT 1 FROM operator WHERE login = :l"), {"l": login}).first()
                has_unit = conn.execute(sa.text("SELECT 1 FROM unit WHERE code = :c"), {"c": unit}).first()
                if has_unit and not known:
                    add_operator(conn, login, login, "unit_operator", unit)

    def approval_row(self, case: int, at: datetime) -> None:
        """The history of an online approval, as if it had happened (its 评审表 then exists)."""
        with self.engine.begin() as conn:
            conn.execute(sa.insert(HISTORY), {
                "case_id": case, "event": "approve_online", "from_state": "online_review",
                "to_state": "unit_publicity", "actor": "reviewer", "role": "county_reviewer", "reason": "",
                "details": "{}", "effective_at": at, "recorded_at": at})

    def form_code(self, case: int) -> str:
        """The verification code printed on the case's current 评审表."""
        from workflow.documents.review_form import printed_code

        return printed_code(self.engine, case) or ""

    def run(self, case: int, event: Event, login: str, now: datetime, scans: bool = True,
            **extra: Any) -> Transition:
        """The event as ``login``; closing a publicity, the unit first posts its 公示 and
        公示结果 scans (the sample files) unless ``scans`` is False or they are there."""
        if event is Event.CLOSE_PUBLICITY and scans and self.state(case) == "unit_publicity":
            self.post_publicity(case, login, now)
        return run_event(self.engine, case, event, self.who(login), now, **extra)

    def give_files(self, case: int, now: datetime, login: str = "clerk", store: MaterialStore | None = None) -> None:
        """Every needed slot of the applicant's still empty gets a made file of its pages."""
        from tests.support.scans import jpeg, pdf

        for s in materials_for(self.engine, login, case)["slots"]:
            if s["needed"] and s["provider"] == "applicant" and not s["files"]:
                data = jpeg((295, 413)) if s["photo"] else pdf(pages=s["pages"])
                add_materials(self.engine, store or self.store, login, case, s["slot"], [Upload(s["slot"], data)], now)

    def post_publicity(self, case: int, login: str, now: datetime) -> None:
        held = {s["slot"] for s in materials_for(self.engine, login, case)["slots"] if s["files"]}
        for slot, name in UNIT_SCANS.items():
            if slot not in held:
                path = EXAMPLE_FILE.parent / name
                add_materials(self.engine, self.store, login, case, slot, [Upload(path.name, path.read_bytes())], now)

    def force_state(self, case: int, state: str) -> None:
        """Put a case straight into a state, to test what may happen from there."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(CASES).where(CASES.c.id == case).values(state=state))

    def start_publicity_row(self, case: int, started: datetime, completes: datetime,
                            closed: datetime | None = None, open_objection: bool = False) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(PUBLICITIES), {"case_id": case, "started_at": started,
                                        "completes_at": completes, "closed_at": closed})
            if open_objection:
                conn.execute(sa.insert(OBJECTIONS), {"case_id": case, "text": "异议", "raised_at": started})

    def state(self, case: int) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(sa.select(CASES.c.state).where(CASES.c.id == case)).scalar_one())

    def version(self, case: int) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(CASES.c.version).where(CASES.c.id == case)).scalar_one())

    def history(self, case: int) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(HISTORY).where(HISTORY.c.case_id == case).order_by(HISTORY.c.id)))

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
