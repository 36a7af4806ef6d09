"""The Alembic migrations build exactly the schema the tables describe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import workflow.store.tables  # noqa: F401
from workflow.store.db import SCHEMA_HEAD, schema_revision, upgrade

NOW = datetime(2024, 10, 9, tzinfo=UTC)


def test_migrated_schema_matches_the_tables(engine: sa.Engine) -> None:
    upgrade(engine)  # a second upgrade on a migrated database changes nothing
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    assert schema_revision(engine) == SCHEMA_HEAD


def test_schema_head_is_the_newest_migration() -> None:
    from pathlib import Path

    from alembic.script import ScriptDirectory

    import workflow.store.db

    folder = Path(workflow.store.db.__file__).parent / "migrations"
    assert ScriptDirectory(str(folder)).get_current_head() == SCHEMA_HEAD


def test_outbox_keys_survive_a_downgrade_and_upgrade_and_stay_unique(engine: sa.Engine) -> None:
    from alembic import command

    from notifications.outbox import OUTBOX, Message, enqueue
    from workflow.store.db import _alembic_config

    def migrate(step: object, revision: str) -> None:
        with engine.begin() as conn:
            step(_alembic_config(engine, conn), revision)  # type: ignore[operator]

    migrate(command.downgrade, "0003")
    with engine.begin() as conn:
        conn.execute(sa.insert(OUTBOX), _row("reminder/a/email"))
    migrate(command.upgrade, "head")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    again = Message("reminder/a/email", "k", "email", "a@example.cn", {})
    with engine.begin() as conn:
        enqueue(conn, [again, Message("reminder/b/email", "k", "email", "b@example.cn", {})])
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():  # the key index still holds
            conn.execute(sa.insert(OUTBOX), _row("reminder/a/email"))
    with engine.connect() as conn:
        assert list(conn.execute(sa.select(OUTBOX.c.key).order_by(OUTBOX.c.id)).scalars()) == [
            "reminder/a/email", "reminder/b/email"]


def _row(key: str) -> dict[str, object]:
    return {"key": key, "kind": "k", "channel": "email", "recipient": "a@example.cn", "context": "{}",
            "status": "pending", "attempts": 0, "next_attempt_at": NOW, "created_at": NOW}
