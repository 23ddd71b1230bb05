"""data, not prose: the fee kept on cancellation as a column

The fee a cancelled booking kept was written only into its history row, as a Norwegian
sentence ("Avbestillingsgebyr 250 kr. …"), and worked back from the payment rows for the
pages, mails and invoices (paid by card less refunded, or the price less what was
credited on the invoice), which also read a date given back from a seasonal allocation,
with nothing credited, as a fee of its whole price. The fee is now
`booking.cancellation_fee` (NULL while a booking is not cancelled; 0 when cancelling was
free), written when the booking is cancelled. Cancelled bookings are carried over from
the sentence their cancellation's history row keeps, read once here; a cancellation
whose row names no fee was free.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import re
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)
# pricing.money.kr_nb: "250 kr", "1 250 kr" (no-break space), "87,50 kr"; the fee's sentence
# comes last in the record, after the canceller's own words.
FEE = re.compile(r"Avbestillingsgebyr (\d[\d\u00a0 ]*(?:,\d+)?) kr\.")


def fee_in(record: str | None) -> Decimal:
    found = FEE.findall(record or "")
    if not found:
        return Decimal(0)
    return Decimal(re.sub(r"[\u00a0 ]", "", found[-1]).replace(",", "."))


def upgrade() -> None:
    op.add_column("booking", sa.Column("cancellation_fee", MONEY, nullable=True))
    connection = op.get_bind()
    # Each cancelled booking's last history row into the cancelled state (a booking is
    # cancelled once; the latest row is the one that counts should there be more).
    records = connection.execute(
        sa.text(
            "SELECT b.id, h.reason FROM booking b LEFT JOIN booking_history h ON h.id = ("
            "SELECT MAX(id) FROM booking_history WHERE booking_id = b.id AND to_status = 'cancelled') "
            "WHERE b.status = 'cancelled'"
        )
    ).all()
    update = sa.text("UPDATE booking SET cancellation_fee = :fee WHERE id = :id").bindparams(
        sa.bindparam("fee", type_=MONEY)
    )
    for booking_id, record in records:
        connection.execute(update, {"fee": fee_in(record), "id": booking_id})


def downgrade() -> None:
    # SQLite drops a column in place (3.35+): the table is not copied, so nothing cascades.
    op.execute("ALTER TABLE booking DROP COLUMN cancellation_fee")
