"""service and schedule

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 11:40:18.353138
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import workflow.store.tables

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_instance',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', workflow.store.tables.UTCDateTime(), nullable=False),
    sa.Column('heartbeat_at', workflow.store.tables.UTCDateTime(), nullable=False),
    sa.Column('leading', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('reminder_run',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('done_at', workflow.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('campaign_id', 'kind')
    )
    with op.batch_alter_table('ban', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', workflow.store.tables.UTCDateTime(), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_outbox_campaign', 'campaign', ['campaign_id'], ['id'])

    with op.batch_alter_table('publicity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_at', workflow.store.tables.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('publicity', schema=None) as batch_op:
        batch_op.drop_column('completed_at')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_campaign', type_='foreignkey')
        batch_op.drop_column('campaign_id')

    with op.batch_alter_table('ban', schema=None) as batch_op:
        batch_op.drop_column('ended_at')

    op.drop_table('reminder_run')
    op.drop_table('service_instance')
