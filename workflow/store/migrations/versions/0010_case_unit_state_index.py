"""case unit state index

A unit's cases in one state found by an index: its publicity documents and its
operator's work stay quick when one unit has many cases.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 23:10:00
"""

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_unit_state", "application_case", ["unit_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_unit_state", table_name="application_case")
