"""review form keys

Each campaign's own key for the verification codes printed on the 评审表; a campaign
already loaded gets one now.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 23:00:00
"""

import secrets

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("form_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    campaigns = sa.table("campaign", sa.column("id", sa.Integer), sa.column("form_key", sa.String))
    connection = op.get_bind()
    for (campaign_id,) in connection.execute(sa.select(campaigns.c.id)).all():
        connection.execute(sa.update(campaigns).where(campaigns.c.id == campaign_id)
                           .values(form_key=secrets.token_hex(32)))
    with op.batch_alter_table("campaign") as batch:
        batch.alter_column("form_key", existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("form_key")
