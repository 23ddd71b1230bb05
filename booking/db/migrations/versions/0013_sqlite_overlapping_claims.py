"""SQLite refuses overlapping claims itself, as PostgreSQL's exclusion constraint does

On PostgreSQL the exclusion constraint `no_overlapping_claims` refuses a slot claim that
overlaps another on the same unit, so the booking engine inserts claims without reading
the others first. SQLite has no exclusion constraints: it relied on the engine reading
the claims under its write lock. A trigger of the same name now refuses such a claim
(RAISE ABORT, with the guarantee's name as the message), so SQLite too is the final
judge and the engine writes the same way on both. Instants are stored as fixed-width UTC
text, so they compare as they sort.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# A claim inserted, or one whose unit or range is changed, that overlaps another claim on
# its unit is refused, as the exclusion constraint refuses both.
TRIGGERS = {
    "no_overlapping_claims": "BEFORE INSERT ON slot_claim",
    "no_overlapping_claims_changed": "BEFORE UPDATE OF unit_id, busy_from, busy_to ON slot_claim",
}
BODY = """
WHEN EXISTS (
    SELECT 1 FROM slot_claim
    WHERE unit_id = NEW.unit_id AND busy_from < NEW.busy_to AND busy_to > NEW.busy_from AND id IS NOT NEW.id
)
BEGIN
    SELECT RAISE(ABORT, 'no_overlapping_claims');
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, when in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} {BODY}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
