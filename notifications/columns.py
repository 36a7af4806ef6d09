"""Column types every table shares: instants stored in UTC, read back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without an offset on every engine; refuses naive instants."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} given for a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def instant(nullable: bool = False, index: bool = False) -> Any:
    """A UTC instant column for a SQLModel table."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class utc_now(sa.sql.functions.FunctionElement[datetime]):  # noqa: N801 (an SQL function's name)
    """The database's clock, in UTC as the columns store it: when a row is recorded.

    The one clock every process writing to the database shares, so no module reads the
    machine's clock to stamp a record.
    """

    type = UTCDateTime()
    inherit_cache = True
    name = "utc_now"


def database_now(conn: sa.Connection) -> sa.ColumnElement[datetime]:
    """The database's clock read once, as a literal: a set-based write of many rows stamps
    them all alike without formatting the time once per row."""
    return sa.literal(conn.execute(sa.select(utc_now())).scalar_one(), UTCDateTime)


@compiles(utc_now, "sqlite")
def _sqlite_utc_now(element: utc_now, compiler: Any, **kw: Any) -> str:
    return "strftime('%Y-%m-%d %H:%M:%f', 'now')"


@compiles(utc_now, "postgresql")
def _postgresql_utc_now(element: utc_now, compiler: Any, **kw: Any) -> str:
    return "(statement_timestamp() AT TIME ZONE 'UTC')"


@compiles(utc_now)
def _any_utc_now(element: utc_now, compiler: Any, **kw: Any) -> str:
    """Other dialects, and statements printed for reading."""
    return "CURRENT_TIMESTAMP"
