"""Fixtures: a real PostgreSQL server of the tests' own, and a fresh database per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import pgserver, s3server
from workflow.runtime.bootstrap import bootstrap
from workflow.runtime.settings import Settings
from workflow.store.db import make_engine, upgrade
from workflow.store.materials import MaterialStore, open_store

ENGINES = ["sqlite", "postgresql"]
STORES = ["folder", "s3"]
# The slowest rooms first: the two workers share out the long tests early and end
# together, instead of one running a long test alone while the other is idle.
FIRST = ("browser", "e2e", "integration", "unit")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def room(item: pytest.Item) -> int:
        parts = item.path.parts
        return next((FIRST.index(p) for p in parts if p in FIRST), len(FIRST))

    items.sort(key=room)  # stable: within a room, the written order


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL of the tests' own; a missing server fails the run loudly."""
    try:
        with pgserver.postgres_server() as url:
            yield url
    except pgserver.PostgresMissing as err:
        pytest.fail(str(err))


class Databases:
    """Hands out empty, migrated databases: copies of one template per engine."""

    def __init__(self, pg_base: str, tmp: Path):
        self.pg_base, self.tmp, self.count = pg_base, tmp, 0
        self.sqlite_template: Path | None = None
        self.pg_template_ready = False

    def url(self, kind: str) -> str:
        self.count += 1
        if kind == "sqlite":
            if self.sqlite_template is None:
                self.sqlite_template = self.tmp / "template.sqlite3"
                engine = make_engine(f"sqlite:///{self.sqlite_template}")
                upgrade(engine)
                engine.dispose()
            target = self.tmp / f"db{self.count}.sqlite3"
            shutil.copy(self.sqlite_template, target)
            return f"sqlite:///{target}"
        admin = sa.create_engine(f"{self.pg_base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not self.pg_template_ready:
                conn.execute(sa.text("CREATE DATABASE chuding_template"))
                template = make_engine(f"{self.pg_base}/chuding_template")
                upgrade(template)
                template.dispose()
                self.pg_template_ready = True
            conn.execute(sa.text(f"CREATE DATABASE test_{self.count} TEMPLATE chuding_template"))
        admin.dispose()
        return f"{self.pg_base}/test_{self.count}"

    def empty_url(self, kind: str) -> str:
        """A database with nothing in it at all (no schema): where a restore goes."""
        self.count += 1
        if kind == "sqlite":
            return f"sqlite:///{self.tmp / f'empty{self.count}.sqlite3'}"
        admin = sa.create_engine(f"{self.pg_base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE empty_{self.count}"))
        admin.dispose()
        return f"{self.pg_base}/empty_{self.count}"


@pytest.fixture(scope="session")
def databases(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return Databases(postgres_server, tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    return databases.url(request.param)


def _engine(url: str) -> sa.Engine:
    """As every front door gets one: from the composition root, with the settings default."""
    return bootstrap(Settings(database_url=url)).engine(require=True)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = _engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(databases: Databases) -> Iterator[sa.Engine]:
    """SQLite only: for what only its one writer at a time promises."""
    engine = _engine(databases.url("sqlite"))
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(databases: Databases) -> Iterator[sa.Engine]:
    """PostgreSQL only: for what only PostgreSQL promises (replicas sharing one database)."""
    engine = _engine(databases.url("postgresql"))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def s3_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local S3-compatible server of the tests' own; a missing one fails the run loudly."""
    try:
        with s3server.s3_server(tmp_path_factory.mktemp("s3") / "s3.log") as address:
            yield address
    except s3server.S3Missing as err:
        pytest.fail(str(err))


@pytest.fixture(params=STORES)
def materials_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A private folder, or a fresh bucket on the local S3 server."""
    if request.param == "folder":
        return f"file://{tmp_path / 'materials'}"
    import uuid

    return f"s3+http://chuding:secret@{request.getfixturevalue('s3_address')}/m{uuid.uuid4().hex[:16]}"


@pytest.fixture
def store(materials_url: str) -> MaterialStore:
    return open_store(materials_url, "")
