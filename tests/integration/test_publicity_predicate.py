"""The sweep's SQL for "publicity is complete" agrees with the domain's predicate on
every case of a generated set, on both databases."""

from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa

from states.guards import publicity_complete
from tests.support.helpers import bj, engineer, valid_id, with_id
from tests.support.world import World
from workflow.store.cases import load_case
from workflow.store.tables import OBJECTIONS, PUBLICITIES
from workflow.usecases.sweeps import publicity_complete_sql

NOW = bj(2024, 10, 15, 0)
# Objections as (upheld) values: None is still open.
OBJECTION_SETS = [(), (None,), (False,), (True,), (False, None), (True, False)]
SHAPES = list(itertools.product(
    (-timedelta(seconds=1), timedelta(0), timedelta(seconds=1)),  # completes_at relative to now
    (None, bj(2024, 10, 14)),  # closed_at
    (None, bj(2024, 10, 14, 12)),  # completed_at
    OBJECTION_SETS,
))


def test_the_sql_twin_agrees_with_the_domain(engine: sa.Engine) -> None:
    world = World(engine)
    cases = world.import_([with_id(engineer(), valid_id(i)) for i in range(len(SHAPES))]).created
    with engine.begin() as conn:
        for case, (offset, closed, completed, objections) in zip(cases, SHAPES, strict=True):
            conn.execute(sa.insert(PUBLICITIES), {"case_id": case, "started_at": bj(2024, 10, 8),
                                                  "completes_at": NOW + offset, "closed_at": closed,
                                                  "completed_at": completed})
            for upheld in objections:
                conn.execute(sa.insert(OBJECTIONS), {"case_id": case, "text": "异议", "raised_at": bj(2024, 10, 9),
                                                     "upheld": upheld,
                                                     "resolved_at": None if upheld is None else bj(2024, 10, 10)})
    with engine.connect() as conn:
        by_sql = set(conn.execute(sa.select(PUBLICITIES.c.case_id).where(publicity_complete_sql(NOW))).scalars())
        by_domain = {case for case in cases if publicity_complete(load_case(conn, case).view.publicity, NOW)}
    assert by_sql == by_domain
    assert 0 < len(by_domain) < len(cases)  # the set holds both answers
