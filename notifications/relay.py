"""The relay: claims due outbox rows, renders, sends, marks them sent or to be retried.

A row is marked sent only after the mail server or gateway took it; a crash between the
two repeats that message once its lease runs out, with the same Message-ID (e-mail) or
idempotency key (SMS). A sent row is never sent again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jinja2
import sqlalchemy as sa

from notifications import mail, sms
from notifications.addresses import stored_form
from notifications.channels import Channels, channels
from notifications.outbox import claim, mark_failed, mark_sent, release
from notifications.rendering import Renderer, UnmaskedIdNumber
from notifications.settings import NotificationSettings
from states.clock import Clock

log = logging.getLogger("chuding.relay")


@dataclass
class RelayReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, to retry {self.retrying}, dead {self.dead}"


def _permanent(err: BaseException) -> bool:
    """Errors a retry cannot cure: the row goes dead at once with the reason."""
    import aiosmtplib

    if isinstance(err, sms.PermanentFailure | UnmaskedIdNumber | jinja2.TemplateError | KeyError):
        return True
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        return True
    return isinstance(err, aiosmtplib.SMTPResponseException) and 500 <= err.code < 600 and err.code != 554


# Sent rows are marked together: a commit starts once this many are waiting and none is
# under way, and sending goes on during it; only when twice as many are waiting does a
# sender wait for the commit. That bounds what a crash can repeat (same Message-ID or key).
MARK_EVERY = 16


def repeat_bound(concurrency: int) -> int:
    """At most this many messages per relay are sent again after it is killed: the rows of
    the commit under way and those waiting for the next (each fewer than 2 × MARK_EVERY
    plus one per sender), as the README states."""
    return 4 * MARK_EVERY + 2 * concurrency


# Given a batch of claimed rows, the part of each one's context the row does not store
# (the campaign's and the person's), by row id.
SharedContexts = Callable[[list[Any]], dict[int, dict[str, Any]]]


class Relay:
    """``shared`` fills in what outbox rows do not store themselves, a batch at a time."""

    def __init__(self, engine: sa.Engine, settings: NotificationSettings, clock: Clock,
                 shared: SharedContexts | None = None, stopping: Callable[[], bool] | None = None,
                 through: Channels | None = None):
        self.shared = shared
        self.stopping = stopping or (lambda: False)
        self.sent: list[int] = []
        self.provider_ids: dict[int, str] = {}  # row -> the SMS provider's id for it
        self.marking: asyncio.Future[None] | None = None
        self.mark_lock = asyncio.Lock()
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.renderer = Renderer(settings.template_dir)
        self.channels = through or channels(settings)
        self.sms = self.channels.sms

    def _retry_at(self, attempts_before: int, now: datetime) -> datetime | None:
        if attempts_before + 1 >= self.settings.relay_max_attempts:
            return None
        delay = self.settings.relay_backoff_seconds * 2 ** attempts_before
        return now + timedelta(seconds=min(delay, self.settings.relay_backoff_max_seconds))

    async def run_once(self) -> RelayReport:
        """Send everything due now, batch after batch, then return what happened.

        Only rows due when the pass began: a row that fails now waits for its backoff,
        not for the next batch of the same pass.
        """
        report = RelayReport()
        lease = timedelta(seconds=self.settings.relay_lease_seconds)
        started = self.clock.now()
        # One connection per concurrent sender, kept open across batches.
        mailers = [self.channels.mailer() for _ in range(max(1, self.settings.relay_concurrency))]
        try:
            # A service being stopped finishes the batch in hand and claims no more.
            while not self.stopping() and (rows := claim(
                    self.engine, self.settings.relay_batch, started, self.clock.now(), lease, self.worker)):
                shared = self.shared(rows) if self.shared else {}
                queue: asyncio.Queue[Any] = asyncio.Queue()
                for row in rows:
                    queue.put_nowait((row, shared.get(row.id, {})))
                try:
                    await asyncio.gather(*(self._work(queue, mailer, report) for mailer in mailers))
                finally:
                    await self._mark_sent(wait=True)
                    await self._mark_sent(wait=True)  # the rows sent while the last commit ran
        finally:
            await asyncio.gather(*(mailer.close() for mailer in mailers))
        return report

    async def _mark_sent(self, wait: bool = False) -> None:
        """Commit the rows sent so far in a thread, so that sending goes on meanwhile.

        One commit is under way at a time. Unless ``wait``, a commit still under way is
        left to finish and the rows keep gathering (see ``repeat_bound``).
        """
        async with self.mark_lock:
            if self.marking is not None:
                if not (wait or self.marking.done()):
                    return
                await self.marking
                self.marking = None
            if self.sent:
                done, self.sent = self.sent, []
                ids = {row: self.provider_ids.pop(row) for row in done if row in self.provider_ids}
                when = self.clock.now()
                loop = asyncio.get_running_loop()
                # Submitted now, not when the event loop next gets round to it.
                self.marking = loop.run_in_executor(None, mark_sent, self.engine, done, self.worker, when, ids)

    def _paused(self, row: Any) -> bool:
        """While the provider refuses our credentials, an SMS waits, unsent and uncounted."""
        until = self.sms.paused_until
        if until is None or self.clock.now() >= until:
            return False
        release(self.engine, row.id, self.worker, until)
        return True

    async def _work(self, queue: asyncio.Queue[Any], mailer: mail.Mailer, report: RelayReport) -> None:
        while not queue.empty():
            row, shared = queue.get_nowait()
            await self._deliver(row, shared, mailer, report)

    async def _deliver(self, row: Any, shared: dict[str, Any], mailer: mail.Mailer, report: RelayReport) -> None:
        try:
            if not stored_form(row.channel, row.recipient):
                raise sms.PermanentFailure(f"address not in its stored form: {row.recipient!r}")
            context = {**shared, **json.loads(row.context)}
            if row.channel == "email":
                email = self.renderer.email(row.kind, context)
                await mailer.send(mail.build(email, row.recipient, row.key, self.settings, self.clock.now()))
            else:
                if self._paused(row):
                    return
                text = self.renderer.sms(row.kind, context, self.settings.sms_sign_name)
                values = sms.variables(row.kind, context, self.settings.sms_variable_limit)
                provider_id = await self.sms.send(row.recipient, row.kind, text, values, row.key)
                if provider_id is not None:
                    self.provider_ids[row.id] = provider_id
        except Exception as err:  # noqa: BLE001 - every failure is recorded on the row
            error = f"{type(err).__name__}: {err}"
            if isinstance(err, sms.CredentialsRefused):
                # Every other SMS would be refused the same way: stop asking until it is fixed.
                self.sms.paused_until = self.clock.now() + timedelta(seconds=self.settings.sms_pause_seconds)
                log.error("SMS paused until %s: the provider refused our credentials (%s)",
                          self.sms.paused_until, err)
            retry_at = None if _permanent(err) else self._retry_at(row.attempts, self.clock.now())
            mark_failed(self.engine, row.id, self.worker, error, retry_at)
            if retry_at is None:
                report.dead += 1
                log.warning("outbox %s (%s %s) dead: %s", row.id, row.channel, row.kind, error)
            else:
                report.retrying += 1
                log.info("outbox %s (%s) will retry at %s: %s", row.id, row.channel, retry_at, error)
            return
        self.sent.append(row.id)
        report.sent += 1
        if len(self.sent) >= MARK_EVERY:
            await self._mark_sent(wait=len(self.sent) >= 2 * MARK_EVERY)


def send_due(engine: sa.Engine, settings: NotificationSettings, clock: Clock,
             shared: SharedContexts | None = None, stopping: Callable[[], bool] | None = None,
             through: Channels | None = None) -> RelayReport:
    """One pass of the relay, as `chuding outbox send` runs it."""
    return asyncio.run(Relay(engine, settings, clock, shared, stopping, through).run_once())
