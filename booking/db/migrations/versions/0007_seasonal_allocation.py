"""seasonal allocation: seasons, their premises and hours, applications, allocations

A season is an application round (draft → open → closed → published). Applications
hold their needs and ranked wishes as JSON; allocations are rows of their own so staff
can pin and move them and publishing can link each to the weekly series it made.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "season",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("application_deadline", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=True),
        sa.Column("published_hash", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('draft', 'open', 'closed', 'published')", name=op.f("ck_season_state")),
        sa.CheckConstraint("ends >= starts", name=op.f("ck_season_dates")),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"], name=op.f("fk_season_created_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_season")),
    )
    op.create_table(
        "season_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_season_application_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_season_application_person_id_person")),
        sa.ForeignKeyConstraint(
            ["season_id"], ["season.id"], name=op.f("fk_season_application_season_id_season"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_season_application")),
        sa.UniqueConstraint("season_id", "organisation_id", name="uq_season_application"),
    )
    with op.batch_alter_table("season_application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_season_application_season_id"), ["season_id"], unique=False)

    op.create_table(
        "season_premises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], name=op.f("fk_season_premises_premises_id_premises")),
        sa.ForeignKeyConstraint(
            ["season_id"], ["season.id"], name=op.f("fk_season_premises_season_id_season"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_season_premises")),
        sa.UniqueConstraint("season_id", "premises_id", name="uq_season_premises"),
    )
    with op.batch_alter_table("season_premises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_season_premises_season_id"), ["season_id"], unique=False)

    op.create_table(
        "season_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.Integer(), nullable=False),
        sa.Column("wish", sa.Integer(), nullable=True),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('proposed', 'published', 'given_back', 'withdrawn')", name=op.f("ck_season_allocation_state")
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_season_allocation_weekday")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["season_application.id"],
            name=op.f("fk_season_allocation_application_id_season_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_season_allocation_premises_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["season_id"], ["season.id"], name=op.f("fk_season_allocation_season_id_season"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["booking_series.id"], name=op.f("fk_season_allocation_series_id_booking_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_season_allocation")),
    )
    with op.batch_alter_table("season_allocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_season_allocation_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_season_allocation_season_id"), ["season_id"], unique=False)

    op.create_table(
        "season_date_unused",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["season_allocation.id"],
            name=op.f("fk_season_date_unused_allocation_id_season_allocation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"], name=op.f("fk_season_date_unused_booking_id_booking")),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["person.id"], name=op.f("fk_season_date_unused_marked_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_season_date_unused")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_season_date_unused_booking_id")),
    )
    with op.batch_alter_table("season_date_unused", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_season_date_unused_allocation_id"), ["allocation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("season_date_unused", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_season_date_unused_allocation_id"))

    op.drop_table("season_date_unused")
    with op.batch_alter_table("season_allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_season_allocation_season_id"))
        batch_op.drop_index(batch_op.f("ix_season_allocation_application_id"))

    op.drop_table("season_allocation")
    with op.batch_alter_table("season_premises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_season_premises_season_id"))

    op.drop_table("season_premises")
    with op.batch_alter_table("season_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_season_application_season_id"))

    op.drop_table("season_application")
    op.drop_table("season")
