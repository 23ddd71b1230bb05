"""pictures of premises: one row per picture, its files in the media store by key

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "premises_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("small_key", sa.String(length=80), nullable=False),
        sa.Column("small_width", sa.Integer(), nullable=False),
        sa.Column("small_height", sa.Integer(), nullable=False),
        sa.Column("alt_nb", sa.String(length=300), nullable=False),
        sa.Column("alt_en", sa.String(length=300), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], name=op.f("fk_premises_photo_premises_id_premises")),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"], name=op.f("fk_premises_photo_created_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises_photo")),
    )
    op.create_index(op.f("ix_premises_photo_premises_id"), "premises_photo", ["premises_id"], unique=False)


def downgrade() -> None:
    # The files stay in the media store (BOOKING_MEDIA_DIR); remove that folder too if wanted.
    op.drop_index(op.f("ix_premises_photo_premises_id"), table_name="premises_photo")
    op.drop_table("premises_photo")
