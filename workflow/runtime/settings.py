"""Every setting chuding reads, in one object: CHUDING_* variables, then command options."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from notifications.errors import SettingsError
from notifications.settings import NotificationSettings, load_settings


class Settings(BaseSettings):
    """The database, who acts, the clock, and where messages go (``messages``, the
    notifications' own settings).

    Read from the environment (CHUDING_DATABASE_URL, CHUDING_OPERATOR, CHUDING_NOW,
    CHUDING_SMTP_HOST, ...); a command's ``--db`` and ``--as`` override the first two.
    """

    model_config = SettingsConfigDict(env_prefix="CHUDING_", extra="ignore")

    database_url: str | None = None  # a SQLite file path or a database URL
    operator: str | None = None  # the acting operator's login
    now: str | None = None  # fixes the clock (ISO 8601 with offset) for simulation and tests
    sqlite_busy_ms: int = Field(default=10_000, ge=0, le=600_000)  # how long a SQLite writer waits for another one
    # Proxies in front of the pages whose X-Forwarded-For is believed (comma-separated
    # addresses or networks); none by default: the address recorded is the peer's own.
    trusted_proxies: str = ""
    # Where the applicants' files are kept: s3://KEY:SECRET@host/bucket (s3+http:// without
    # TLS) or file:///a/shared/folder; by default a folder beside the SQLite file.
    materials_url: str | None = None
    messages: NotificationSettings = Field(default_factory=NotificationSettings)


def read_settings(**overrides: Any) -> Settings:
    """The settings, or a SettingsError naming every bad variable; ``None`` overrides
    are left to the environment."""
    given = {k: v for k, v in overrides.items() if v is not None}
    settings = load_settings(Settings, messages=load_settings(NotificationSettings))
    return settings.model_copy(update=given) if given else settings


__all__ = ["Settings", "SettingsError", "read_settings"]
