"""`chuding serve`: the background service that enforces deadlines on its own.

One process leads the schedule: on SQLite the only one (a lock file beside the
database), on PostgreSQL whoever holds an advisory lock; the others wait to take over.
The leader catches up on everything overdue when it starts and at every moment the
schedule names (window closings, reminders, publicity ends, ban ends), plus a periodic
sweep. Every service relays messages. Sweeps are idempotent, so running one twice — or
on two leaders for a moment — changes nothing the second time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from notifications.settings import NotificationSettings
from states.clock import Clock
from workflow import tables as t
from workflow.clock import SystemClock
from workflow.db import DatabaseError, require_schema
from workflow.messages import send_outbox
from workflow.schedule import upcoming
from workflow.sweeps import campaigns, catch_up

log = logging.getLogger("chuding.service")
SERVICES: sa.Table = t.ServiceInstance.__table__  # type: ignore[attr-defined]
LEADER_LOCK = 0x6368_7564_696E_67  # "chuding": the PostgreSQL advisory lock's key


class JsonLogFormatter(logging.Formatter):
    """`serve --json`: one JSON object per log line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                           "level": record.levelname, "logger": record.name, "message": record.getMessage()},
                          ensure_ascii=False)


class ServiceUnusable(RuntimeError):
    """The service cannot run: say why and exit non-zero."""


class SqliteLeadership:
    """One service per SQLite file: an exclusive lock on a file beside the database."""

    def __init__(self, database: str):
        self.path = Path(f"{database}.service.lock")
        self.file: IO[str] | None = None

    def acquire(self) -> bool:
        self.file = self.path.open("a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "another process"
            self.file.close()
            raise ServiceUnusable(
                f"another chuding service ({holder}) is already running on this database;"
                f" one service per SQLite file (lock: {self.path})"
            ) from None
        self.file.truncate(0)
        self.file.write(f"pid {os.getpid()} on {socket.gethostname()}")
        self.file.flush()
        return True

    def still_held(self) -> bool:
        return self.file is not None

    def release(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class PostgresLeadership:
    """Leader while holding a session advisory lock: released by the server when we die."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.conn: sa.Connection | None = None

    def acquire(self) -> bool:
        try:
            if self.conn is None:
                self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
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


class Service:
    def __init__(self, engine: sa.Engine, clock: Clock, settings: NotificationSettings,
                 sweep_seconds: float = 60, relay_seconds: float = 5, lead_seconds: float = 2):
        self.engine, self.clock, self.settings = engine, clock, settings
        self.sweep_seconds, self.relay_seconds, self.lead_seconds = sweep_seconds, relay_seconds, lead_seconds
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.leading = False
        self.leadership: SqliteLeadership | PostgresLeadership
        if engine.dialect.name == "sqlite":
            self.leadership = SqliteLeadership(str(engine.url.database))
        else:
            self.leadership = PostgresLeadership(engine)
        self.scheduler: Any = None

    def check(self) -> None:
        """Refuse to start on an unusable database or notice config."""
        try:
            require_schema(self.engine)
            loaded = campaigns(self.engine)
        except DatabaseError as err:
            raise ServiceUnusable(str(err)) from None
        except sa.exc.SQLAlchemyError as err:
            raise ServiceUnusable(f"the database is unusable: {err}") from None
        if not loaded:
            raise ServiceUnusable("no campaign is loaded; run `chuding init --notice FILE` first")
        if self.engine.dialect.name == "sqlite":
            self.leadership.acquire()  # refuses a second service on the same file

    def run(self, stop: threading.Event) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.check()
        now = datetime.now(UTC)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            # One thread for the schedule, one for the relay: sweeps never overlap each other.
            executors={"default": ThreadPoolExecutor(1), "relay": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.scheduler.add_job(self.lead, "interval", seconds=self.lead_seconds, id="lead", next_run_time=now)
        self.scheduler.add_job(self.relay, "interval", seconds=self.relay_seconds, id="relay",
                               executor="relay", next_run_time=now)
        self.scheduler.start()
        log.info("service %s started", self.id)
        try:
            stop.wait()
        finally:
            log.info("stopping: finishing the work in hand")
            self.scheduler.shutdown(wait=True)
            self.leadership.release()
            with contextlib.suppress(sa.exc.SQLAlchemyError), self.engine.begin() as conn:
                conn.execute(sa.delete(SERVICES).where(SERVICES.c.id == self.id))
            log.info("service %s stopped", self.id)

    def lead(self) -> None:
        """Heartbeat; take the lead when free, notice when it is lost."""
        if not self.leading and self.leadership.acquire():
            self.leading = True
            log.info("leading the schedule")
            self.sweep("start")
        elif self.leading and not self.leadership.still_held():
            self.leading = False
            log.error("lost the lead (database connection gone); waiting to take it again")
            for job in self.scheduler.get_jobs():
                if job.id.startswith(("at:", "sweep")):
                    job.remove()
        self._heartbeat()

    def _heartbeat(self) -> None:
        now = datetime.now(UTC)
        values = {"heartbeat_at": now, "leading": self.leading}
        with self.engine.begin() as conn:
            if not conn.execute(sa.update(SERVICES).where(SERVICES.c.id == self.id).values(**values)).rowcount:
                host, _, pid = self.id.partition(":")
                conn.execute(sa.insert(SERVICES), {"id": self.id, "host": host, "pid": os.getpid(),
                                                   "started_at": now, **values})

    def sweep(self, why: str = "periodic") -> None:
        if not self.leading:
            return
        now = self.clock.now()
        counts = catch_up(self.engine, now)
        log.info("sweep (%s) at %s: %s", why, now.isoformat(), dict(counts) or "nothing due")
        self._reschedule(now)

    def _reschedule(self, now: datetime) -> None:
        """A timer at each coming moment, and the periodic sweep behind them all."""
        if self.scheduler.get_job("sweep") is None:
            self.scheduler.add_job(self.sweep, "interval", seconds=self.sweep_seconds, id="sweep")
        wall = datetime.now(UTC)
        for moment in upcoming(self.engine, now):
            # Under a simulated clock the moments are not on the wall clock: the periodic sweep serves.
            if moment.at > wall:
                self.scheduler.add_job(self.sweep, "date", run_date=moment.at, args=[moment.what],
                                       id=f"at:{moment.what}:{moment.campaign}:{moment.at.isoformat()}",
                                       replace_existing=True)

    def relay(self) -> None:
        # Delivery runs on the wall clock even when the campaign's clock is simulated.
        report = send_outbox(self.engine, self.settings, SystemClock())
        if report.sent or report.retrying or report.dead:
            log.info("relay: %s", report)
