"""The one composition root: Settings → engine, clocks and notification channels.

The command line, the service, ``simulate`` and the tests start here; no other module
reads the environment, builds a clock or makes an engine of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from notifications.errors import SettingsError
from states.clock import Clock
from workflow.runtime.clock import SystemClock, campaign_clock
from workflow.runtime.settings import Settings, read_settings

if TYPE_CHECKING:
    import sqlalchemy as sa

    from notifications.channels import Channels
    from workflow.store.materials import MaterialStore


@dataclass
class Runtime:
    """What a front door needs, built lazily so that a quick command stays quick."""

    settings: Settings
    # The machine's clock: the service's own timing (heartbeats, retries) and delivery.
    wall: Clock = field(default_factory=SystemClock)
    _engines: list[sa.Engine] = field(default_factory=list, repr=False)

    @cached_property
    def clock(self) -> Clock:
        """The campaign's clock: the machine's, or fixed by CHUDING_NOW."""
        return campaign_clock(self.settings.now)

    @cached_property
    def url(self) -> str:
        from workflow.store.db import database_url

        return database_url(self.settings.database_url)

    def engine(self, require: bool = True, create: bool = False) -> sa.Engine:
        """The database engine; with ``require``, only for a database at chuding's schema."""
        from workflow.store.db import make_engine, require_schema

        engine = make_engine(self.url, create=create, busy_ms=self.settings.sqlite_busy_ms)
        self._engines.append(engine)
        if require:
            require_schema(engine)
        return engine

    @cached_property
    def materials(self) -> MaterialStore:
        """The store of the applicants' files the settings name (see ``open_store``)."""
        from workflow.store.materials import open_store

        try:
            return open_store(self.settings.materials_url, self.url)
        except ValueError as err:
            raise SettingsError([str(err)]) from None

    def close(self) -> None:
        """The engines made here, disposed: their connections close when the command ends."""
        while self._engines:
            self._engines.pop().dispose()

    @cached_property
    def channels(self) -> Channels:
        from notifications.channels import channels

        return channels(self.settings.messages)


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Runtime:
    """A runtime from ``settings``, or from the environment with ``overrides``."""
    return Runtime(settings if settings is not None else read_settings(**overrides))
