"""operator passwords

Operators log in with a password (hashed with Argon2). A password set by someone else
must be changed at first login; five failed logins in a row lock the login for a while.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 20:20:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from workflow.store.tables import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.add_column(sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch.add_column(sa.Column("password_must_change", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
        batch.drop_column("password_must_change")
        batch.drop_column("password_hash")
