"""outbox events: a booking's mail is stored as what happened and rendered by the sender

The transaction that changes a booking no longer renders its e-mail (templates and the
.ics file) while it holds the write lock: it stores the mail's kind, ids and facts in
`outbox_mail.event`, and `booking send-mail` renders them before delivering. Rows already
in the outbox are written mails (event NULL) and are delivered as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_mail", sa.Column("event", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Events not yet rendered would become mails with no text: render them first (send-mail).
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_column("event")
