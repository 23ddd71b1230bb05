"""payment parts: a weekly series paid in one checkout

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part_of", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_payment_part_of_payment"), "payment", ["part_of"], ["id"])
        batch_op.create_index(batch_op.f("ix_payment_part_of"), ["part_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_part_of"))
        batch_op.drop_constraint(batch_op.f("fk_payment_part_of_payment"), type_="foreignkey")
        batch_op.drop_column("part_of")
