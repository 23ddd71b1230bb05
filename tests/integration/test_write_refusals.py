"""Which guarantee refused a write is read from the database's codes (SQLSTATE and
constraint name on PostgreSQL; SQLite's unique-violation code and the columns it names,
or the name its trigger raises with), not from the wording of its message."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from booking.db.engine import write_transaction
from booking.db.failures import EXCLUSION_VIOLATION, UNIQUE_VIOLATION, refused_by
from booking.services.bookings import (
    IDEMPOTENCY_CONSTRAINT,
    OVERLAP_CONSTRAINT,
    SQLITE_UNIQUE_COLUMNS,
    _violation,
    create_booking,
)
from tests.integration.test_bookings import NOW, RULES, request
from tests.world import build_world

COLUMNS = (
    "premises_id, person_id, organisation_id, purpose, attendees, target_group, alcohol, start_at, end_at, "
    "status, hold_expires_at, price_snapshot, price_total, series_id, payment_method, occurrence_date, "
    "idempotency_key, created_at, updated_at, sequence"
)


async def _refused(db, statement: str, **params) -> IntegrityError:
    async with db.sessions() as session:
        try:
            async with write_transaction(session):
                await session.execute(text(statement), params)
        except IntegrityError as error:
            return error
    raise AssertionError("the database took it")


async def test_the_same_idempotency_key_twice_is_told_by_its_constraint(db):
    world = await build_world(db.session)
    first = await create_booking(
        db.session,
        request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00", idempotency_key="k-1"),
        rules=RULES,
        now=NOW,
    )
    error = await _refused(
        db, f"INSERT INTO booking ({COLUMNS}) SELECT {COLUMNS} FROM booking WHERE id = :id", id=first.id
    )
    refusal = refused_by(error, SQLITE_UNIQUE_COLUMNS)
    assert refusal.constraint == IDEMPOTENCY_CONSTRAINT
    assert refusal.sqlstate == (UNIQUE_VIOLATION if db.dialect == "postgresql" else None)
    assert _violation(error) == "idempotency"


async def test_an_overlapping_claim_is_told_by_the_exclusion_constraint(db):
    """PostgreSQL's exclusion constraint, and on SQLite the triggers of the same name
    (migration 0013), refuse a claim that overlaps another on its unit, inserted or moved."""
    world = await build_world(db.session)
    first = await create_booking(
        db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00"), rules=RULES, now=NOW
    )
    later = await create_booking(
        db.session, request(world, world.room, "2026-09-08T21:00", "2026-09-08T22:00"), rules=RULES, now=NOW
    )
    inserted = await _refused(
        db,
        "INSERT INTO slot_claim (booking_id, unit_id, busy_from, busy_to) "
        "SELECT booking_id, unit_id, busy_from, busy_to FROM slot_claim WHERE booking_id = :id",
        id=first.id,
    )
    moved = await _refused(
        db,
        "UPDATE slot_claim SET busy_from = (SELECT busy_from FROM slot_claim WHERE booking_id = :first) "
        "WHERE booking_id = :later",
        first=first.id,
        later=later.id,
    )
    for error in (inserted, moved):
        refusal = refused_by(error)
        assert refusal.constraint == OVERLAP_CONSTRAINT
        assert refusal.sqlstate == (EXCLUSION_VIOLATION if db.dialect == "postgresql" else None)
        assert _violation(error) == "overlap"


async def test_another_guarantee_is_neither(db):
    world = await build_world(db.session)
    error = await _refused(
        db, "INSERT INTO slot_claim (booking_id, unit_id, busy_from, busy_to) VALUES (NULL, 1, :at, :at)", at=NOW
    )
    assert _violation(error) == "other"
    assert world
