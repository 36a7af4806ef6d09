"""A campaign in a real database, with one operator per role, for the integration tests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from states.values import SERVICE_ACTOR, Actor, Event
from tests.support.helpers import NOTICE_FILE, bj
from workflow.store.tables import CASES, HISTORY, OBJECTIONS, PUBLICITIES
from workflow.usecases.access import identify
from workflow.usecases.campaigns import load_notice
from workflow.usecases.events import Transition, run_event
from workflow.usecases.importer import ImportResult, import_applications
from workflow.usecases.operators import add_operator

OPERATORS = [
    ("admin", "administrator", None),
    ("clerk", "applicant_clerk", None),
    ("reviewer", "county_reviewer", None),
    ("paper", "county_clerk", None),
    ("approver", "county_approver", None),
]
UNIT_OF = {"LT-SL-01": "water", "LT-ED-07": "school"}


class World:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
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
                login: str = "clerk") -> ImportResult:
        text = json.dumps(records, ensure_ascii=False)
        result = import_applications(self.engine, text, "test.json", self.who(login), now or bj(2024, 9, 28))
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

    def run(self, case: int, event: Event, login: str, now: datetime, **extra: Any) -> Transition:
        return run_event(self.engine, case, event, self.who(login), now, **extra)

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
