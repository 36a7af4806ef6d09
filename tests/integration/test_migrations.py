"""The Alembic migrations build exactly the schema the tables describe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import workflow.tables  # noqa: F401
from workflow.db import SCHEMA_HEAD, schema_revision, upgrade


def test_migrated_schema_matches_the_tables(engine: sa.Engine) -> None:
    upgrade(engine)  # a second upgrade on a migrated database changes nothing
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    assert schema_revision(engine) == SCHEMA_HEAD


def test_schema_head_is_the_newest_migration() -> None:
    from pathlib import Path

    from alembic.script import ScriptDirectory

    import workflow.db

    folder = Path(workflow.db.__file__).parent / "migrations"
    assert ScriptDirectory(str(folder)).get_current_head() == SCHEMA_HEAD
