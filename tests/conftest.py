"""Fixtures: a real PostgreSQL server of the tests' own, and a fresh database per test."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from workflow.db import make_engine, upgrade

ENGINES = ["sqlite", "postgresql"]


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed: run `bash .ci/postgres` (Debian's postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; run it as the postgres user then.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Starts a throw-away PostgreSQL on a free port; yields the server's base URL."""
    base = Path(tempfile.mkdtemp(prefix="chuding-pg-"))
    data, log = base / "data", base / "server.log"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    run = lambda cmd: subprocess.run(_as_postgres(cmd), check=True, capture_output=True, text=True)  # noqa: E731
    try:
        run([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"])
        run([_pg_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start", "-o",
             f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"])
    except subprocess.CalledProcessError as err:
        pytest.fail(f"PostgreSQL did not start: {err.stderr}\n{log.read_text() if log.exists() else ''}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


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


@pytest.fixture(scope="session")
def databases(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return Databases(postgres_server, tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    return databases.url(request.param)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(databases: Databases) -> Iterator[sa.Engine]:
    """PostgreSQL only: for what only PostgreSQL promises (replicas sharing one database)."""
    engine = make_engine(databases.url("postgresql"))
    yield engine
    engine.dispose()
