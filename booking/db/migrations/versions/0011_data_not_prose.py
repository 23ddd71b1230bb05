"""data, not prose: the responsible person, a series' idempotency key and approval
reasons' codes as columns, booking statuses checked by the database

The adult who answers for a booking on the spot was written into `caretaker_notes` as a
Norwegian sentence and parsed back for the pages; it is now `responsible_name` and
`responsible_phone` (notes in that sentence's form are carried over and cleared; any
other note stays a note). A weekly series made with an idempotency key kept the key only
inside each date's booking key; the series row now has it, with a digest of what was
asked, unique per person. A history row that sends a booking to approval keeps the
approval criteria's codes (`reason_codes`), so the reasons are shown in the reader's
language from the rules, not matched back from the stored sentence (history rows are
append-only: older rows keep their text, which the pages still show). `booking.status`
may hold only the state machine's states: a CHECK constraint on PostgreSQL; on SQLite,
where adding one means copying the table (and dropping the old one would cascade to its
claims), two triggers that refuse the same.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STATUSES = "status IN ('held', 'requested', 'confirmed', 'rejected', 'cancelled', 'expired')"
RESPONSIBLE, PHONE = "Ansvarlig person (18+): ", ", tlf. "


SQLITE_TRIGGER = """CREATE TRIGGER booking_status_{when} BEFORE {event} ON booking
WHEN NEW.status NOT IN ('held', 'requested', 'confirmed', 'rejected', 'cancelled', 'expired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: status'); END"""


def upgrade() -> None:
    op.add_column("booking", sa.Column("responsible_name", sa.String(120), nullable=False, server_default=""))
    op.add_column("booking", sa.Column("responsible_phone", sa.String(40), nullable=False, server_default=""))
    op.add_column("booking_series", sa.Column("idempotency_key", sa.String(200), nullable=True))
    op.add_column("booking_series", sa.Column("request_digest", sa.String(64), nullable=True))
    op.create_index("series_idempotency", "booking_series", ["person_id", "idempotency_key"], unique=True)
    op.add_column("booking_history", sa.Column("reason_codes", sa.JSON(), nullable=True))
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER.format(when="insert", event="INSERT"))
        op.execute(SQLITE_TRIGGER.format(when="update", event="UPDATE OF status"))
    else:
        op.create_check_constraint(op.f("ck_booking_status"), "booking", STATUSES)
    notes = connection.execute(
        sa.text("SELECT id, caretaker_notes FROM booking WHERE caretaker_notes LIKE :prefix"),
        {"prefix": RESPONSIBLE + "%"},
    )
    for booking_id, note in notes.all():
        rest = note[len(RESPONSIBLE) :]
        name, separator, phone = rest.rpartition(PHONE)
        name, phone = (name, phone) if separator else (rest, "")
        connection.execute(
            sa.text(
                "UPDATE booking SET responsible_name = :name, responsible_phone = :phone, caretaker_notes = '' "
                "WHERE id = :id"
            ),
            {"name": name[:120], "phone": phone[:40], "id": booking_id},
        )
    # A series' dates were keyed "{key}:{digest}:{date}": the key and digest go to the series.
    keyed = connection.execute(
        sa.text(
            "SELECT series_id, MIN(idempotency_key) FROM booking WHERE series_id IS NOT NULL "
            "AND idempotency_key IS NOT NULL GROUP BY series_id"
        )
    )
    for series_id, booking_key in keyed.all():
        parts = booking_key.rsplit(":", 2)
        if len(parts) == 3:
            connection.execute(
                sa.text("UPDATE booking_series SET idempotency_key = :key, request_digest = :digest WHERE id = :id"),
                {"key": parts[0], "digest": parts[1], "id": series_id},
            )


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE booking SET caretaker_notes = :prefix || responsible_name || "
            "CASE WHEN responsible_phone = '' THEN '' ELSE :phone || responsible_phone END "
            "WHERE responsible_name <> ''"
        ),
        {"prefix": RESPONSIBLE, "phone": PHONE},
    )
    if connection.dialect.name == "sqlite":
        op.execute("DROP TRIGGER booking_status_insert")
        op.execute("DROP TRIGGER booking_status_update")
    else:
        op.drop_constraint(op.f("ck_booking_status"), "booking", type_="check")
    op.drop_index("series_idempotency", "booking_series")
    # SQLite drops a column in place (3.35+): the tables are not copied, so nothing cascades.
    for table, column in (
        ("booking_history", "reason_codes"),
        ("booking_series", "request_digest"),
        ("booking_series", "idempotency_key"),
        ("booking", "responsible_phone"),
        ("booking", "responsible_name"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
