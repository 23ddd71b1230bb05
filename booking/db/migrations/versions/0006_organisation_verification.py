"""organisation verification: staff check an organisation before its claims count

An organisation registered through the site claims its own status (voluntary, for
children and youth, based in the municipality). Until staff have checked it
(`verified_at`, `verified_by_id`), every booking on its behalf needs approval. Who
registered it and when (`registered_at`, `registered_by_id`) is kept for that check.

Existing organisations are marked verified by this migration: they were accepted before
this check existed, so their bookings go on as before. Who registered them and when is
not known, so those columns stay empty for them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from datetime import datetime, timezone

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INSTANTS = ("registered_at", "verified_at")
PEOPLE = ("registered_by_id", "verified_by_id")


def upgrade() -> None:
    for name in INSTANTS:
        op.add_column(
            "organisation", sa.Column(name, advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True)
        )
    for name in PEOPLE:
        constraint = f"fk_organisation_{name}_person"
        if op.get_bind().dialect.name == "sqlite":
            # SQLite cannot add a constraint to a table, and rebuilding it (batch mode) fails
            # while memberships and bookings refer to it; a new column may carry its reference.
            op.execute(
                f"ALTER TABLE organisation ADD COLUMN {name} INTEGER CONSTRAINT {constraint} REFERENCES person (id)"
            )
        else:
            op.add_column("organisation", sa.Column(name, sa.Integer(), nullable=True))
            op.create_foreign_key(constraint, "organisation", "person", [name], ["id"])
    organisation = sa.table(
        "organisation", sa.column("verified_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True))
    )
    op.execute(organisation.update().values(verified_at=datetime.now(timezone.utc)))


def downgrade() -> None:
    # On SQLite this rebuilds the table, which its foreign keys refuse while memberships or
    # bookings refer to an organisation: downgrade such a database with foreign keys off.
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        if op.get_bind().dialect.name != "sqlite":  # SQLite rebuilds the table without them
            for name in PEOPLE:
                batch_op.drop_constraint(f"fk_organisation_{name}_person", type_="foreignkey")
        for name in (*PEOPLE, *INSTANTS):
            batch_op.drop_column(name)
