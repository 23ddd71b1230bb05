"""open events: a booking opened to the public on "Hva skjer"

One row per booking that its booker (or a delegate of its organisation) has marked as an
open event: the public title, a short description and the audience. Whether it is
listed is derived from the booking's status and from staff hiding it (`hidden_at`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    instant = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
    op.create_table(
        "open_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", instant, nullable=False),
        sa.Column("updated_at", instant, nullable=False),
        sa.Column("hidden_at", instant, nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("audience IN ('all', 'children_youth')", name=op.f("ck_open_event_audience")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_open_event_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"], name=op.f("fk_open_event_created_by_id_person")),
        sa.ForeignKeyConstraint(["hidden_by_id"], ["person.id"], name=op.f("fk_open_event_hidden_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_event")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_open_event_booking_id")),
    )


def downgrade() -> None:
    op.drop_table("open_event")
