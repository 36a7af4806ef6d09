"""The web site over a real database, shared by the web pages' tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.helpers import engineer, teacher
from tests.support.web import GOOD, NOW
from tests.support.world import World
from workflow.runtime.bootstrap import bootstrap
from workflow.runtime.settings import Settings
from workflow.store.materials import open_store
from workflow.usecases.passwords import set_password
from workflow.web import create_app


@pytest.fixture
def site(db_url: str, engine: sa.Engine, tmp_path: Path) -> Iterator[tuple[World, TestClient]]:
    world = World(engine, open_store(f"file://{tmp_path / 'materials'}", ""))
    world.import_([engineer(), teacher()])
    for login in ("clerk", "reviewer", "water", "school"):
        set_password(engine, login, login, GOOD)
    settings = Settings(database_url=db_url, now=NOW, materials_url=f"file://{tmp_path / 'materials'}")
    app = create_app(bootstrap(settings))
    with TestClient(app, follow_redirects=False) as client:
        yield world, client
    app.state.engine.dispose()
