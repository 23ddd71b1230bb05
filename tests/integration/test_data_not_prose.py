"""Meaning kept as data, not as Norwegian sentences: the responsible person in columns of
its own, a weekly series' idempotency key on the series, approval reasons as the
criteria's codes, booking states checked by the database; and migration 0011 carries rows
written the old way over (and back)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time

import pytest
from alembic import command
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from booking.db.migrate import alembic_config, upgrade
from booking.db.models import Booking, BookingHistory, BookingSeries, Premises
from booking.domain.recurrence import WeeklyPattern
from booking.services.bookings import NewBooking, create_booking
from booking.services.lending import PremisesApprovalOnly, Responsible
from booking.services.rulebook import PREMISES_APPROVAL, HarmonisedRules, default_rule_set
from booking.services.series import create_series
from pricing import BookingDetails
from tests.integration.booking_web_support import at
from tests.world import build_world

NOW = datetime.fromisoformat("2026-09-01T08:00:00+00:00")
FREE = PremisesApprovalOnly()


async def _made(db):
    world = await build_world(db.session)
    one = await create_booking(
        db.session,
        NewBooking(
            "motesalen",
            at(date(2026, 9, 8), "18:00"),
            at(date(2026, 9, 8), "20:00"),
            world.person_id,
            details=BookingDetails("Styremøte", 5, "adults"),
            responsible=Responsible("Kari Nordmann", "+47 900 00 000"),
        ),
        rules=FREE,
        now=NOW,
    )
    return world, one, await _choir_series(db, world.person_id)


async def _choir_series(db, person_id: int):
    """The choir's Wednesdays in September, made with the idempotency key "serie-1"."""
    return await create_series(
        db.session,
        premises_slug="motesalen",
        now=NOW,
        rules=FREE,
        pattern=WeeklyPattern((2,), time(18), time(20), date(2026, 9, 9), date(2026, 9, 23)),
        person_id=person_id,
        organisation_id=None,
        details=BookingDetails("Kor", 5, "adults"),
        idempotency_key="serie-1",
        responsible=Responsible("Ola Hansen"),
    )


async def test_the_responsible_person_and_the_series_key_are_columns(db):
    _, one, series = await _made(db)
    async with db.sessions() as s:
        booking = await s.get(Booking, one.id)
        row = await s.get(BookingSeries, series.series_id)
        dates = list((await s.execute(select(Booking).where(Booking.series_id == series.series_id))).scalars())
    assert (booking.responsible_name, booking.responsible_phone, booking.caretaker_notes) == (
        "Kari Nordmann",
        "+47 900 00 000",
        "",
    )
    assert {(b.responsible_name, b.responsible_phone) for b in dates} == {("Ola Hansen", "")}
    assert row.idempotency_key == "serie-1" and len(row.request_digest) == 16


async def test_the_database_refuses_a_status_the_state_machine_does_not_have(db):
    _, one, _ = await _made(db)
    async with db.sessions() as s:
        with pytest.raises(IntegrityError):
            await s.execute(update(Booking).where(Booking.id == one.id).values(status="maybe"))
            await s.flush()
        await s.rollback()
        assert (await s.get(Booking, one.id)).status == "confirmed"


async def test_migration_0011_carries_old_rows_over_and_back(db):
    """Down to 0010 the responsible person is the old sentence in the caretaker's notes
    and the series key lives only in its dates' keys; up again, both are columns again."""
    _, one, series = await _made(db)
    await db.engine.dispose()
    await asyncio.to_thread(command.downgrade, alembic_config(db.url), "0010")
    async with db.engine.connect() as connection:
        note = (
            await connection.execute(text("SELECT caretaker_notes FROM booking WHERE id = :id"), {"id": one.id})
        ).scalar_one()
        columns = (await connection.execute(text("SELECT * FROM booking_series"))).keys()
    assert note == "Ansvarlig person (18+): Kari Nordmann, tlf. +47 900 00 000"
    assert "idempotency_key" not in columns
    await db.engine.dispose()
    await asyncio.to_thread(upgrade, db.url)
    async with db.sessions() as s:
        booking = await s.get(Booking, one.id)
        row = await s.get(BookingSeries, series.series_id)
    assert (booking.responsible_name, booking.responsible_phone, booking.caretaker_notes) == (
        "Kari Nordmann",
        "+47 900 00 000",
        "",
    )
    assert row.idempotency_key == "serie-1" and len(row.request_digest) == 16
    again = await _choir_series(db, booking.person_id)
    assert again.series_id == series.series_id  # the carried-over key still finds the series


async def test_approval_reasons_are_kept_as_codes_and_shown_from_the_rules(db):
    world = await build_world(db.session)
    async with db.sessions() as s:
        await s.execute(update(Premises).where(Premises.slug == "motesalen").values(requires_approval=True))
        await s.commit()
    made = await create_booking(
        db.session,
        NewBooking(
            "motesalen",
            at(date(2026, 9, 8), "18:00"),
            at(date(2026, 9, 8), "20:00"),
            world.person_id,
            details=BookingDetails("Styremøte", 5, "adults"),
        ),
        rules=FREE,
        now=NOW,
    )
    async with db.sessions() as s:
        (row,) = (await s.execute(select(BookingHistory).where(BookingHistory.booking_id == made.id))).scalars()
        booking = await s.get(Booking, made.id)
    assert (made.status, row.reason_codes, row.reason) == ("requested", ["premises"], "Lokalet krever godkjenning.")
    rules = HarmonisedRules([default_rule_set()])
    assert rules.approval_reasons_of(booking, "stored text", row.reason_codes) == (
        (PREMISES_APPROVAL.rule_nb, PREMISES_APPROVAL.rule_en),
    )  # from the rule by its code, not the stored text
    assert rules.approval_reasons_of(booking, "Eldre tekst.", ["no-such-rule"]) == (("Eldre tekst.", "Eldre tekst."),)
