"""service sweep health, audit

Each service records when its last sweep succeeded and the last error a sweep met, so
that `chuding status` shows a leader that has stopped enforcing deadlines. Administrative
acts that are no case's event (replacing a running campaign's notice) get an audit row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 16:30:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from workflow.store.tables import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("service_instance") as batch:
        batch.add_column(sa.Column("last_sweep_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
        batch.add_column(sa.Column("last_error_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_table("audit")
    with op.batch_alter_table("service_instance") as batch:
        batch.drop_column("last_error_at")
        batch.drop_column("last_error")
        batch.drop_column("last_sweep_at")
