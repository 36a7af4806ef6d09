"""Engines for SQLite (the default, in a file) and PostgreSQL (from a URL), and migrations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

DEFAULT_DATABASE = "chuding.sqlite3"
# The newest migration; commands other than `init` refuse a database at another one.
# (A test checks it against the migrations, so that commands need not import alembic.)
SCHEMA_HEAD = "0012"
# How long a writer waits for another one on SQLite before giving up (milliseconds);
# the setting CHUDING_SQLITE_BUSY_MS.
SQLITE_BUSY_MS = 10_000
SUPPORTED = ("sqlite://", "postgresql+psycopg://")


class DatabaseError(RuntimeError):
    """The database is unusable: missing, unreachable or at the wrong schema."""


def database_url(db: str | None = None) -> str:
    """A URL from the setting (``--db`` or CHUDING_DATABASE_URL), else the SQLite file
    chuding.sqlite3. A plain path means a SQLite file; anything with ``://`` is a URL.
    """
    value = db or DEFAULT_DATABASE
    if "://" in value:
        if value.startswith(("postgresql://", "postgres://")):  # psycopg 3, the driver we install
            value = "postgresql+psycopg://" + value.partition("://")[2]
        if not value.startswith(SUPPORTED):
            scheme = value.partition("://")[0]
            raise DatabaseError(f"--db / CHUDING_DATABASE_URL: {scheme}:// is not supported;"
                                " use a SQLite file path, sqlite:///FILE or postgresql://…")
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def _sqlite_pragmas(busy_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        try:
            _set_up(dbapi_connection)
        except UnicodeDecodeError as err:  # a damaged file hands back text that is not text
            import sqlite3

            raise sqlite3.DatabaseError(f"database disk image is malformed ({err.reason})") from None

    def _set_up(dbapi_connection: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        # WAL lets readers go on while one writer commits; synchronous=FULL makes every
        # committed decision survive a power cut, which a person's career deserves.
        _turn_on_wal(cursor, busy_ms)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def _turn_on_wal(cursor: Any, busy_ms: int) -> None:
    """Switching the journal mode answers "locked" at once, without SQLite's busy wait,
    while another connection writes (a new file meeting another `init`): wait as the busy
    timeout allows. The mode is kept in the file, so this costs nothing once set."""
    import sqlite3
    import time

    deadline = time.monotonic() + busy_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def make_engine(url: str, create: bool = True, busy_ms: int = SQLITE_BUSY_MS) -> sa.Engine:
    """An engine for ``url``. A SQLite file that does not exist is made (private to its
    owner) only when ``create``; otherwise a mistyped path is refused, not left behind."""
    if url.startswith("sqlite"):
        _sqlite_file(sa.engine.make_url(url).database, create)
        engine = sa.create_engine(url, connect_args={"timeout": busy_ms / 1000})
        sa.event.listen(engine, "connect", _sqlite_pragmas(busy_ms))
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_file(database: str | None, create: bool) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists():
        return
    if not create:
        raise DatabaseError(f"there is no database file {path}; run `chuding init` to create one")
    if path.parent.is_dir():
        # Names, ID numbers and phones: readable by the owner only (SQLite gives its
        # -wal and -shm files the same permissions).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _alembic_config(engine: sa.Engine, connection: sa.Connection) -> Any:
    from alembic.config import Config  # only `init` pays for importing alembic

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine) -> None:
    """Create the schema, or bring it up to date, in one transaction."""
    from alembic import command

    with engine.begin() as connection:
        hold_setup_lock(connection)
        command.upgrade(_alembic_config(engine, connection), "head")


# The PostgreSQL advisory lock that lets one `init` at a time read and change the set-up.
SETUP_LOCK = 0x6368_7564_696E_68


def hold_setup_lock(connection: sa.Connection) -> None:
    """Taken first in a set-up transaction (the schema; the notices and the first
    administrator): of two `init` at once the second waits for the first, then finds
    its work done, instead of writing the same tables or rows again."""
    if connection.dialect.name == "sqlite":
        # The write lock before the schema is read (the driver would start the
        # transaction only at the first write, after both had seen no tables).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(SETUP_LOCK)))


def hold_writer(connection: sa.Connection) -> None:
    """SQLite: take the write lock now, not at the first write, so that what this
    transaction reads first (who is acting) cannot change before it writes. (The driver
    would start the transaction only at the first write; PostgreSQL holds rows instead.)"""
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def schema_revision(engine: sa.Engine) -> str | None:
    """The migration the database is at; None for a database chuding has not set up."""
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError as err:
        raise DatabaseError(f"cannot open the database {_shown(engine)}: {err.orig}") from None


def _shown(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def require_schema(engine: sa.Engine) -> None:
    """Commands other than ``init`` need a database ``chuding init`` has made."""
    revision = schema_revision(engine)
    if revision is None:
        raise DatabaseError(f"the database {_shown(engine)} has no chuding schema; run `chuding init` first")
    if revision != SCHEMA_HEAD:
        raise DatabaseError(
            f"the database {_shown(engine)} is at schema {revision}, this chuding needs {SCHEMA_HEAD};"
            " run `chuding init` to upgrade it"
        )


# PostgreSQL's answers that mean "too busy now, try again" rather than "wrong".
_PG_BUSY = {"40001", "40P01", "55P03", "57014", "53300"}  # serialization, deadlock, lock, timeout, connections


def is_busy(err: BaseException) -> bool:
    """Whether ``err`` says the database was too busy to answer in time (SQLite's write
    lock held past the busy timeout, PostgreSQL's lock or statement timeouts, the pool
    exhausted): a moment later the same request may pass."""
    if isinstance(err, sa.exc.TimeoutError):  # no connection free in the pool
        return True
    cause = getattr(err, "orig", None)
    if cause is None:
        return False
    if type(cause).__module__.startswith("sqlite3"):
        text = str(cause).lower()
        return "locked" in text or "busy" in text
    return getattr(cause, "sqlstate", None) in _PG_BUSY


def integrity_problems(engine: sa.Engine, quick: bool = False) -> list[str]:
    """What the database's own check finds wrong (none: it is whole). SQLite reads every
    page (``integrity_check``, or ``quick_check`` at start-up, which skips the indexes'
    order); PostgreSQL keeps its own checksums, so what is checked there is that every
    table can be read through. A file too damaged to open is a problem, not an error."""
    try:
        return _integrity_problems(engine, quick)
    except (sa.exc.DBAPIError, UnicodeDecodeError) as err:  # damage in text SQLite hands back
        return [f"{type(err).__name__}: {getattr(err, 'orig', err)}"]


def _integrity_problems(engine: sa.Engine, quick: bool) -> list[str]:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            pragma = "quick_check" if quick else "integrity_check"
            found = [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}")]
            return [] if found == ["ok"] else found
        problems = []
        for table in sa.inspect(conn).get_table_names():
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"')
            except sa.exc.DBAPIError as err:
                problems.append(f"{table}: {getattr(err, 'orig', err)}")
        return problems
