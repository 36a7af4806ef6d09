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
import json
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from workflow.errors import without_personal_data
from workflow.runtime.leadership import ServiceUnusable, leadership
from workflow.runtime.schedule import upcoming
from workflow.store.db import DatabaseError, integrity_problems, require_schema
from workflow.store.tables import SERVICES
from workflow.usecases.messages import send_outbox
from workflow.usecases.sweeps import campaigns, catch_up

if TYPE_CHECKING:
    from workflow.runtime.bootstrap import Runtime

log = logging.getLogger("chuding.service")
# The longest a stopping service waits for the write lock to remove its own row.
STOP_WRITE_MS = 2000
COLLECT_SECONDS = 3600  # how often the leader collects stored files no row names


class JsonLogFormatter(logging.Formatter):
    """`serve --json`: one JSON object per log line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                           "level": record.levelname, "logger": record.name, "message": record.getMessage()},
                          ensure_ascii=False)


class Service:
    """Leads the schedule when it can, relays messages, and stops promptly when told.

    Every job runs through ``_job``: a failure is logged with its cause and the job runs
    again on its next tick; a failed sweep is also retried sooner, with backoff.
    """

    def __init__(self, runtime: Runtime, sweep_seconds: float = 60, relay_seconds: float = 5,
                 lead_seconds: float = 2, grace_seconds: float = 5):
        engine = runtime.engine(require=False)
        self.engine, self.clock, self.settings = engine, runtime.clock, runtime.settings
        self.runtime = runtime
        # The machine's clock times the service itself; the campaign's (maybe simulated) the sweeps.
        self.wall, self.channels = runtime.wall, runtime.channels
        self.sweep_seconds, self.relay_seconds, self.lead_seconds = sweep_seconds, relay_seconds, lead_seconds
        self.grace_seconds = grace_seconds
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.leading = False
        self.leadership = leadership(engine, self.id)
        self.scheduler: Any = None
        self.stopping = threading.Event()
        self.busy = 0
        self.idle = threading.Condition()
        self.failures = 0  # sweeps failed in a row
        self.last_sweep_at: datetime | None = None
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.fatal: str | None = None  # set when the database turns out to be unusable
        self.beaten = False  # whether a heartbeat wrote this service's row

    def check(self) -> None:
        """Refuse to start on an unusable database or notice config."""
        try:
            require_schema(self.engine)
            damage = integrity_problems(self.engine, quick=True)
            if damage:
                raise ServiceUnusable(f"the database file is damaged ({'; '.join(damage[:3])}); run `chuding check`,"
                                      " and restore the latest backup")
            loaded = campaigns(self.engine)
        except DatabaseError as err:
            raise ServiceUnusable(str(err)) from None
        except (sa.exc.SQLAlchemyError, UnicodeDecodeError) as err:  # the latter: damaged text
            raise ServiceUnusable(f"the database is unusable: {without_personal_data(err)}") from None
        if not loaded:
            raise ServiceUnusable("no campaign is loaded; run `chuding init --notice FILE` first")
        if self.engine.dialect.name == "sqlite":
            self.leadership.acquire()  # refuses a second service on the same file

    def run(self, stop: threading.Event) -> bool:
        """Serve until ``stop`` is set; False when work in hand had to be abandoned.

        The wait is timed so that the main thread keeps seeing signals.
        """
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.check()
        try:
            if stop.is_set():
                return True
            now = self.wall.now()
            self.scheduler = BackgroundScheduler(
                timezone=UTC,
                # One thread for the schedule, one for the relay, one for the materials store:
                # sweeps never overlap each other, and none waits for another kind of work.
                executors={"default": ThreadPoolExecutor(1), "relay": ThreadPoolExecutor(1),
                           "materials": ThreadPoolExecutor(1)},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            )
            self._add(self.lead, "interval", seconds=self.lead_seconds, id="lead", next_run_time=now)
            self._add(self.relay, "interval", seconds=self.relay_seconds, id="relay",
                      executor="relay", next_run_time=now)
            self._add(self.receipts, "interval", seconds=self.settings.messages.sms_receipt_seconds, id="receipts",
                      executor="relay")
            # On its own thread: listing a large store must not hold up messages or deadlines.
            self._add(self.collect, "interval", seconds=COLLECT_SECONDS, id="collect", executor="materials")
            self.scheduler.start()
            log.info("service %s started", self.id)
            while not stop.wait(0.2) and self.fatal is None:
                pass
        finally:
            finished = self._stop()
        if self.fatal is not None:
            raise ServiceUnusable(self.fatal)
        return finished

    def _stop(self) -> bool:
        """Stop taking work, give the work in hand a grace period, then let go.

        The scheduler is shut down without waiting: a job still running may need the
        scheduler's lock to reschedule itself, and a sweep is one transaction, so one cut
        short by the process ending is rolled back and done again by the next leader.
        """
        log.info("stopping: finishing the work in hand")
        self.stopping.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        with self.idle:
            finished = self.idle.wait_for(lambda: self.busy == 0, timeout=self.grace_seconds)
        if not finished:
            log.warning("work in hand did not finish within %s s; it is abandoned and rolled back",
                        self.grace_seconds)
        self.leadership.release()
        if finished and self.beaten:
            # Its row goes, but a stop waits at most STOP_WRITE_MS for another writer: a row
            # left behind only ages out of `status` (30 s without a heartbeat).
            with contextlib.suppress(sa.exc.SQLAlchemyError), self.engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {STOP_WRITE_MS}")
                conn.execute(sa.delete(SERVICES).where(SERVICES.c.id == self.id))
        log.info("service %s stopped", self.id)
        return finished

    def _add(self, work: Any, trigger: str, **options: Any) -> None:
        self.scheduler.add_job(self._job, trigger, args=[work, *options.pop("args", [])], **options)

    def _job(self, work: Any, *args: Any) -> None:
        """Runs one job: nothing new once stopping; a failure is logged, never fatal."""
        with self.idle:
            if self.stopping.is_set():
                return
            self.busy += 1
        try:
            work(*args)
        except Exception as err:  # noqa: BLE001 - logged with its cause; the job runs again
            log.error("%s failed: %s", getattr(work, "__name__", work), without_personal_data(err))
            self._unusable(err)
        finally:
            with self.idle:
                self.busy -= 1
                self.idle.notify_all()

    def lead(self) -> None:
        """Heartbeat; take the lead when free, notice when it is lost."""
        if not self.leading and self.leadership.acquire():
            self.leading = True
            log.info("leading the schedule")
            # The periodic sweep first: should the start sweep fail, the schedule still runs.
            self._add(self.sweep, "interval", seconds=self.sweep_seconds, id="sweep", replace_existing=True)
            self.sweep("start")
        elif self.leading and not self.leadership.still_held():
            self.leading = False
            log.error("lost the lead (database connection gone); waiting to take it again")
            for job in self.scheduler.get_jobs():
                if job.id.startswith(("at:", "sweep", "retry")):
                    job.remove()
        self._heartbeat()

    def _heartbeat(self) -> None:
        now = self.wall.now()
        values = {"heartbeat_at": now, "leading": self.leading, "last_sweep_at": self.last_sweep_at,
                  "last_error": self.last_error, "last_error_at": self.last_error_at}
        with self.engine.begin() as conn:
            if not conn.execute(sa.update(SERVICES).where(SERVICES.c.id == self.id).values(**values)).rowcount:
                host, _, pid = self.id.partition(":")
                conn.execute(sa.insert(SERVICES), {"id": self.id, "host": host, "pid": os.getpid(),
                                                   "started_at": now, **values})
        self.beaten = True

    def sweep(self, why: str = "periodic") -> None:
        if not self.leading or self.stopping.is_set():
            return
        now = self.clock.now()
        try:
            counts = catch_up(self.engine, now)
            moments = upcoming(self.engine, now)
        except Exception as err:  # noqa: BLE001 - a failed sweep must not end the schedule
            self._sweep_failed(why, err)
            self._unusable(err)
            return
        self.failures, self.last_sweep_at = 0, self.wall.now()
        log.info("sweep (%s) at %s: %s", why, now.isoformat(), dict(counts) or "nothing due")
        self._reschedule(moments)

    def _unusable(self, err: BaseException) -> None:
        """A damaged database file is not a passing fault: stop, as any command would (exit 4).

        SQLite reports a locked or busy database as an OperationalError, worth retrying;
        a malformed or foreign file as the plain DatabaseError.
        """
        import sqlite3

        from notifications.errors import DataUnreadable

        cause = getattr(err, "orig", err)
        damaged = isinstance(cause, sqlite3.DatabaseError) and not isinstance(cause, sqlite3.OperationalError)
        if damaged or isinstance(err, DataUnreadable):
            self.fatal = f"the database is unusable: {without_personal_data(err)}"
            log.error("%s; stopping", self.fatal)

    def _sweep_failed(self, why: str, err: BaseException) -> None:
        """Log the cause, keep it for `status`, and try again soon: 2 s, 4 s, ... up to a tick."""
        self.failures += 1
        self.last_error, self.last_error_at = without_personal_data(err)[:2000], self.wall.now()
        delay = min(self.sweep_seconds, 2.0 ** self.failures)
        log.error("sweep (%s) failed (%d in a row), retrying in %.0f s: %s",
                  why, self.failures, delay, self.last_error)
        if not self.stopping.is_set():
            self._add(self.sweep, "date", run_date=self.wall.now() + timedelta(seconds=delay),
                      args=["retry"], id="retry", replace_existing=True)

    def _reschedule(self, moments: list[Any]) -> None:
        """A timer at each coming moment; the periodic sweep runs behind them all."""
        if self.stopping.is_set():
            return
        wall = self.wall.now()
        for moment in moments:
            # Under a simulated clock the moments are not on the wall clock: the periodic sweep serves.
            if moment.at > wall:
                self._add(self.sweep, "date", run_date=moment.at, args=[moment.what],
                          id=f"at:{moment.what}:{moment.campaign}:{moment.at.isoformat()}",
                          replace_existing=True)

    def collect(self) -> None:
        """The leader removes stored files no row names, left by uploads that failed."""
        from notifications.errors import SettingsError
        from workflow.usecases.materials import collect_unnamed

        if not self.leading:
            return
        try:
            store = self.runtime.materials
        except SettingsError:
            return  # no store named (PostgreSQL without pages): nothing was uploaded here
        removed = collect_unnamed(self.engine, store, self.wall.now())
        if removed:
            log.info("materials: %d stored file(s) no row names removed", removed)

    def receipts(self) -> None:
        """The leader asks the SMS provider which messages reached their phones."""
        from notifications.receipts import collect

        if self.leading:
            collect(self.engine, self.channels.sms, self.wall.now())

    def relay(self) -> None:
        # Delivery runs on the wall clock even when the campaign's clock is simulated.
        report = send_outbox(self.engine, self.settings.messages, self.wall, self.stopping.is_set, self.channels)
        if report.sent or report.retrying or report.dead:
            log.info("relay: %s", report)
