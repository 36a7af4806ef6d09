"""Who leads the schedule: on SQLite the only service (a lock file beside the database),
on PostgreSQL whoever holds a session advisory lock; the others stand by."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import IO

import sqlalchemy as sa

log = logging.getLogger("chuding.service")
LEADER_LOCK = 0x6368_7564_696E_67  # "chuding": the PostgreSQL advisory lock's key


class ServiceUnusable(RuntimeError):
    """The service cannot run: say why and exit non-zero."""


class SqliteLeadership:
    """One service per SQLite file: an exclusive lock on a file beside the database.

    The lock is named after the database's real path, so a symlink or another spelling
    of the path meets the same lock. (Hard links to a SQLite database are unsafe for
    SQLite itself: its write-ahead log is found by name.)
    """

    def __init__(self, database: str):
        self.path = Path(f"{Path(database).expanduser().resolve()}.service.lock")
        self.file: IO[str] | None = None

    def acquire(self) -> bool:
        if self.file is not None:
            return True  # taken at start-up, held until the service stops
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            file = os.fdopen(descriptor, "r+")
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = file.read().strip() or "another process"
                file.close()
                raise ServiceUnusable(
                    f"another chuding service ({holder}) is already running on this database;"
                    f" one service per SQLite file (lock: {self.path})"
                ) from None
            # A service stopping just now unlinks the file it held: lock the one on disk.
            if _same_file(file, self.path):
                break
            file.close()
        file.truncate(0)
        file.write(f"pid {os.getpid()} on {socket.gethostname()}")
        file.flush()
        self.file = file
        return True

    def still_held(self) -> bool:
        return self.file is not None

    def release(self) -> None:
        if self.file is not None:
            # Unlink while still holding it: a clean stop leaves no lock file behind.
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self.file.close()
            self.file = None


def _same_file(file: IO[str], path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(file.fileno())
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


class PostgresLeadership:
    """Leader while holding a session advisory lock: released by the server when we die."""

    def __init__(self, engine: sa.Engine, name: str = ""):
        self.engine, self.name = engine, name
        self.conn: sa.Connection | None = None

    def acquire(self) -> bool:
        try:
            if self.conn is None:
                self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                # The server then says which service holds the lock (``lease_holder``).
                self.conn.execute(sa.select(sa.func.set_config("application_name", self.name[:63], False)))
            return bool(self.conn.execute(sa.select(sa.func.pg_try_advisory_lock(LEADER_LOCK))).scalar())
        except sa.exc.DBAPIError as err:
            log.warning("cannot reach the database to take the lead: %s", err.orig)
            self._drop()
            return False

    def still_held(self) -> bool:
        try:
            assert self.conn is not None
            self.conn.execute(sa.text("SELECT 1"))
            return True
        except (sa.exc.DBAPIError, AssertionError):
            self._drop()
            return False

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.invalidate()
                self.conn.close()
        self.conn = None

    def release(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self.conn.execute(sa.select(sa.func.pg_advisory_unlock(LEADER_LOCK)))
            self._drop()


def leadership(engine: sa.Engine, name: str = "") -> SqliteLeadership | PostgresLeadership:
    """The lead for ``engine``'s database, taken by the service called ``name``."""
    if engine.dialect.name == "sqlite":
        return SqliteLeadership(str(engine.url.database))
    return PostgresLeadership(engine, name)


def lease_holder(conn: sa.Connection) -> str | None:
    """PostgreSQL: the service whose session holds the lead now, as the server sees it
    (after a failover a service may still think it leads; the server knows better).
    None on SQLite, where the lock file allows one service only."""
    if conn.dialect.name != "postgresql":
        return None
    return conn.execute(sa.text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"), {"key": LEADER_LOCK}).scalar()
