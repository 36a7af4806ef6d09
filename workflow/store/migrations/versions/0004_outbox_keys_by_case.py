"""outbox keys by case

One index on (case_id, key) now both keeps a case's message keys unique and finds a
case's messages; keys of messages to no case get a partial unique index of their own.
That replaces the unique key index and the case_id index: one index fewer to write per
message, which is what a bulk expiry mostly writes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 13:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# SQLite's UNIQUE (key) from 0002 has no name; this gives it one when the table is rebuilt.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
WITHOUT_CASE = sa.text("case_id IS NULL")


def _unique_key_name() -> str:
    return "outbox_key_key" if op.get_bind().dialect.name == "postgresql" else "uq_outbox_key"


def upgrade() -> None:
    with op.batch_alter_table('outbox', naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_unique_key_name(), type_='unique')
        batch_op.drop_index('ix_outbox_case_id')
        batch_op.create_index('uq_outbox_case_key', ['case_id', 'key'], unique=True)
        batch_op.create_index('uq_outbox_key_without_case', ['key'], unique=True,
                              sqlite_where=WITHOUT_CASE, postgresql_where=WITHOUT_CASE)


def downgrade() -> None:
    with op.batch_alter_table('outbox', naming_convention=NAMING) as batch_op:
        batch_op.drop_index('uq_outbox_key_without_case')
        batch_op.drop_index('uq_outbox_case_key')
        batch_op.create_index('ix_outbox_case_id', ['case_id'], unique=False)
        batch_op.create_unique_constraint(_unique_key_name(), ['key'])
