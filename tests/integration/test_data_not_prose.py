"""Meaning kept as data, not as Norwegian sentences: the responsible person in columns of
its own, a weekly series' idempotency key on the series, approval reasons as the
criteria's codes, booking states checked by the database, the fee kept on cancellation;
and migrations 0011 and 0012 carry rows written the old way over (and back)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from booking.db.engine import write_transaction
from booking.db.migrate import alembic_config, upgrade
from booking.db.models import Booking, BookingHistory, BookingSeries, OutboxMail, Premises
from booking.domain.lifecycle import Status
from booking.domain.recurrence import WeeklyPattern
from booking.notify import GIVEN_BACK
from booking.notify.sender import render_pending
from booking.services.bookings import NewBooking, change_status, create_booking
from booking.services.cancellation import cancel_booking
from booking.services.invoices import invoice_status
from booking.services.lending import PremisesApprovalOnly, Responsible
from booking.services.refunds import money
from booking.services.rulebook import PREMISES_APPROVAL, HarmonisedRules, current_rules, default_rule_set
from booking.services.series import create_series
from booking.settings import from_environment
from pricing import BookingDetails
from tests.integration.booking_web_support import at
from tests.integration.test_payments_invoices import invoice_booking
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
            async with write_transaction(s):
                await s.execute(update(Booking).where(Booking.id == one.id).values(status="maybe"))
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
    async with db.sessions() as s, write_transaction(s):
        await s.execute(update(Premises).where(Premises.slug == "motesalen").values(requires_approval=True))
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


async def _cancelled_on_invoice(db):
    """Bragernes IL's evenings on invoice (150 kr each): one kept, one cancelled late (fee
    75 kr, with the booker's own words naming a fee too), one early (free), one by staff,
    and one cancelled the way a date given back from a seasonal allocation is (no money
    settled)."""
    world = await build_world(db.session)
    settings = from_environment({"BOOKING_DATABASE_URL": db.url})
    rules = await current_rules(db.session)
    kept, late, early, staff, given = [
        await invoice_booking(db, world, day)
        for day in ("2026-09-08", "2026-09-15", "2026-09-22", "2026-09-29", "2026-10-06")
    ]

    async def cancel(booking, now, **how):
        return await cancel_booking(
            db.session, settings, booking.id, actor_id=world.person_id, rules=rules, now=now, **how
        )

    await cancel(late, at(date(2026, 9, 14), "12:00"), reason="Avbestillingsgebyr 9 kr. sa de")
    await cancel(early, NOW, reason="")
    await cancel(staff, at(date(2026, 9, 28), "12:00"), reason="Vannlekkasje", by_staff=True)
    async with write_transaction(db.session) as s:
        await change_status(s, given.id, Status.CANCELLED, actor_id=world.person_id, reason=GIVEN_BACK, now=NOW)
    return kept, late, early, staff, given


async def _fees(db, bookings) -> list:
    async with db.sessions() as s:
        return [(await s.get(Booking, b.id)).cancellation_fee for b in bookings]


async def test_the_fee_kept_on_cancellation_is_a_column_that_pages_mails_and_invoices_read(db):
    bookings = await _cancelled_on_invoice(db)
    kept, late, early, staff, given = bookings
    assert await _fees(db, bookings) == [None, Decimal("75"), 0, 0, 0]
    async with db.sessions() as s:
        shown = [(await money(s, await s.get(Booking, b.id)))["fee"] for b in bookings]
        invoiced = [(await invoice_status(s, b.id)).amount for b in bookings]
    assert shown == [0, Decimal("75"), 0, 0, 0]
    # A date cancelled with nothing credited (given back) is not invoiced its whole price.
    assert invoiced == [Decimal("150"), Decimal("75"), 0, 0, 0]
    await render_pending(db.session)
    async with db.sessions() as s:
        mail = (
            await s.execute(select(OutboxMail).where(OutboxMail.dedupe_key.like(f"booking-{late.id}-%-cancelled")))
        ).scalar_one()
    assert "Avbestillingsgebyr: 75\u00a0kr (faktureres Bragernes IL)" in mail.body_text


async def test_migration_0012_carries_the_fee_over_from_the_history_record(db):
    """Down to 0011 the fee is only the sentence in the cancellation's history row; up
    again, it is read from that sentence once (the last one, after the booker's words)."""
    bookings = await _cancelled_on_invoice(db)
    late = bookings[1]
    await db.engine.dispose()
    await asyncio.to_thread(command.downgrade, alembic_config(db.url), "0011")
    async with db.sessions() as s, write_transaction(s):
        connection = await s.connection()
        columns = (await connection.execute(text("SELECT * FROM booking"))).keys()
        (record,) = (
            await connection.execute(
                text("SELECT reason FROM booking_history WHERE booking_id = :id AND to_status = 'cancelled'"),
                {"id": late.id},
            )
        ).scalars()
        # A fee over a thousand kroner as kr_nb writes it (no-break space, decimal comma), in
        # a later row (history is append-only): the latest cancellation row counts.
        await connection.execute(
            text(
                "INSERT INTO booking_history (booking_id, at, from_status, to_status, reason) "
                "VALUES (:id, :at, 'cancelled', 'cancelled', :reason)"
            ),
            {
                "reason": "Avbestillingsgebyr 1\u00a0250,50 kr. Avbestilling er gratis …",
                "id": bookings[2].id,
                "at": NOW,
            },
        )
    assert "cancellation_fee" not in columns
    assert record.startswith("Begrunnelse: Avbestillingsgebyr 9 kr. sa de Avbestillingsgebyr 75 kr.")
    await db.engine.dispose()
    await asyncio.to_thread(upgrade, db.url)
    assert await _fees(db, bookings) == [None, Decimal("75"), Decimal("1250.50"), 0, 0]
