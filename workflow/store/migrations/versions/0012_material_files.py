"""material files

The applicant's uploaded files: a row describes each (case, slot, version, part,
SHA-256, size, type, pages, the name it came with, who and when); the bytes are in the
materials store, named by their SHA-256.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 23:30:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from workflow.store.tables import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "material_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("replaced_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["application_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "slot", "version", "part", name="uq_material_file"),
    )
    op.create_index(op.f("ix_material_file_case_id"), "material_file", ["case_id"], unique=False)
    op.create_index(op.f("ix_material_file_sha256"), "material_file", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_material_file_sha256"), table_name="material_file")
    op.drop_index(op.f("ix_material_file_case_id"), table_name="material_file")
    op.drop_table("material_file")
