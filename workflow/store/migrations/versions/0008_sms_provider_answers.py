"""sms provider answers

What an SMS provider said of each message: its id for it, and the delivery receipt.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 22:30:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from workflow.store.tables import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("provider_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("delivery", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column("delivery_detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch.add_column(sa.Column("delivery_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        for column in ("delivery_at", "delivery_detail", "delivery", "provider_id"):
            batch.drop_column(column)
