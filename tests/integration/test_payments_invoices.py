"""Invoices for organisations: booked without payment, exported once per booking as CSV
for the municipality's accounting; cancelling keeps the fee on the invoice and credits
the rest. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, Department, InvoiceExport, OutboxMail, Payment
from booking.domain.errors import DomainError
from booking.notify.sender import render_pending
from booking.services.bookings import NewBooking, create_booking
from booking.services.cancellation import cancel_booking
from booking.services.invoices import COLUMNS, export_invoices, invoice_status
from booking.services.rulebook import current_rules
from booking.settings import ROOT, from_environment
from pricing import BookingDetails
from tests.conftest import alone
from tests.integration.test_bookings import at
from tests.world import build_world

BOOKED = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
AFTER = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


async def invoice_booking(db, world, day: str, *, method="invoice", target_group="adults", organisation=True):
    rules = await current_rules(db.session)
    return await create_booking(
        db.session,
        NewBooking(
            world.room,
            at(f"{day}T18:00"),
            at(f"{day}T20:00"),
            world.person_id,
            world.organisation_id if organisation else None,
            BookingDetails("Trening", 12, target_group),
            payment_method=method,
        ),
        rules=rules,
        now=BOOKED,
    )


@pytest.fixture
async def world(db):
    world = await build_world(db.session)
    async with db.sessions() as s, write_transaction(s):
        (await s.execute(select(Department).where(Department.slug == "idrett"))).scalar_one().account_code = "3120-55"
    return world


def parse(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


async def exported(db) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(InvoiceExport))


async def test_an_organisation_books_on_invoice_and_the_month_is_exported_once(db, world):
    settings = from_environment({"BOOKING_DATABASE_URL": db.url})
    rules = await current_rules(db.session)
    confirmed = await invoice_booking(db, world, "2026-09-08")
    late_cancel = await invoice_booking(db, world, "2026-09-15")
    early_cancel = await invoice_booking(db, world, "2026-09-22")
    free = await invoice_booking(db, world, "2026-09-29", target_group="children_youth")
    card = await invoice_booking(db, world, "2026-09-10", method="card", organisation=False)
    october = await invoice_booking(db, world, "2026-10-06")
    assert (confirmed.status, confirmed.payment_method, confirmed.price_total) == (
        "confirmed",
        "invoice",
        Decimal("150"),
    )
    assert (free.payment_method, free.price_total) == (None, Decimal("0"))
    assert card.status == "held"

    late = await cancel_booking(
        db.session,
        settings,
        late_cancel.id,
        actor_id=world.person_id,
        reason="",
        rules=rules,
        now=at("2026-09-14T12:00"),
    )
    early = await cancel_booking(
        db.session, settings, early_cancel.id, actor_id=world.person_id, reason="", rules=rules, now=BOOKED
    )
    assert (late.fee, late.credit, early.fee, early.credit) == (Decimal("75"), Decimal("75"), 0, Decimal("150"))

    first = await export_invoices(db.session, "2026-09", now=AFTER)
    lines = parse(first)
    assert list(lines[0]) == list(COLUMNS)
    assert [(r["booking_id"], r["line_code"], r["amount"]) for r in lines] == [
        (str(confirmed.id), "leie.hverdag", "150.00"),
        (str(late_cancel.id), "avbestillingsgebyr", "75.00"),
    ]
    rent = lines[0]
    assert (rent["orgnr"], rent["organisation"], rent["our_reference"]) == (
        "974760673",
        "Bragernes IL",
        f"LOK-{confirmed.id}",
    )
    assert (rent["account_code"], rent["department"], rent["completed"]) == ("3120-55", "Idrett", "2026-09-08")
    assert (rent["quantity"], rent["unit"], rent["rate"], rent["amount_ex_vat"], rent["vat_rate"], rent["vat"]) == (
        "2",
        "hour",
        "75.00",
        "150.00",
        "0",
        "0.00",
    )
    assert rent["contact_email"] == "kari@example.no" and "Møterom" in rent["line"]
    assert await exported(db) == 2

    again = await export_invoices(db.session, "2026-09", now=datetime(2026, 12, 24, tzinfo=timezone.utc))
    assert again == first and await exported(db) == 2
    assert [r["booking_id"] for r in parse(await export_invoices(db.session, "2026-10", now=AFTER))] == [
        str(october.id)
    ]
    assert await export_invoices(db.session, "2026-09", now=AFTER) == first

    async with db.sessions() as s:
        status = await invoice_status(s, confirmed.id)
        assert (status.state, status.exported_period, status.amount) == ("exported", "2026-09", Decimal("150"))
        cancelled_status = await invoice_status(s, early_cancel.id)
        assert (cancelled_status.state, cancelled_status.credited) == ("nothing_to_invoice", Decimal("150"))
        assert await invoice_status(s, card.id) is None
        credits = (await s.execute(select(Payment).where(Payment.provider == "invoice"))).scalars().all()
        assert sorted(c.amount for c in credits) == [Decimal("75"), Decimal("150")]


async def test_two_exports_at_once_mark_each_booking_once(db, world):
    for day in ("2026-09-08", "2026-09-09", "2026-09-10"):
        await invoice_booking(db, world, day)
    one, two = await asyncio.gather(
        alone(db.sessions, export_invoices, "2026-09", now=AFTER),
        alone(db.sessions, export_invoices, "2026-09", now=AFTER),
    )
    assert one == two and len(parse(one)) == 3 and await exported(db) == 3


async def test_a_month_not_over_or_misspelt_is_refused(db, world):
    with pytest.raises(DomainError) as early:
        await export_invoices(db.session, "2026-11", now=AFTER)
    assert early.value.code == "period_not_ended"
    for period in ("2026-13", "26-09", "september"):
        with pytest.raises(DomainError) as wrong:
            await export_invoices(db.session, period, now=AFTER)
        assert wrong.value.code == "invalid_period"
    assert await exported(db) == 0


async def test_the_command_writes_the_same_file(db, world, tmp_path):
    confirmed = await invoice_booking(db, world, "2026-09-08")
    env = {**os.environ, "BOOKING_DATABASE_URL": db.url}
    paths = [tmp_path / "first.csv", tmp_path / "second.csv"]
    for path in paths:
        done = subprocess.run(
            [sys.executable, "-m", "booking.cli", "invoices", "export", "--period", "2026-09", "--out", str(path)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert [r["booking_id"] for r in parse(paths[0].read_bytes())] == [str(confirmed.id)]
    refused = subprocess.run(
        [sys.executable, "-m", "booking.cli", "invoices", "export", "--period", "2030-01"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "period_not_ended" in refused.stderr


@pytest.mark.parametrize("period", ["9999-12", "0001-01"])
async def test_a_period_at_the_ends_of_the_calendar_is_refused_not_a_traceback(db, world, period):
    await invoice_booking(db, world, "2026-09-08")
    env = {**os.environ, "BOOKING_DATABASE_URL": db.url}
    refused = subprocess.run(
        [sys.executable, "-m", "booking.cli", "invoices", "export", "--period", period],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("error [invalid_period]") and "Traceback" not in refused.stderr
    assert refused.stdout == "" and await exported(db) == 0


async def test_a_cancellation_tells_the_booker_their_reason_and_what_is_not_invoiced(db, world):
    settings = from_environment({"BOOKING_DATABASE_URL": db.url})
    booking = await invoice_booking(db, world, "2026-09-22")
    await cancel_booking(
        db.session,
        settings,
        booking.id,
        actor_id=world.person_id,
        reason=" Syk trener ",
        rules=await current_rules(db.session),
        now=BOOKED,
    )
    await render_pending(db.session)  # the sender writes the mail from the stored event
    async with db.sessions() as s:
        mail = (
            await s.execute(select(OutboxMail).where(OutboxMail.dedupe_key.like(f"booking-{booking.id}-%-cancelled")))
        ).scalar_one()
        record = (
            await s.execute(
                select(BookingHistory.reason).where(
                    BookingHistory.booking_id == booking.id, BookingHistory.to_status == "cancelled"
                )
            )
        ).scalar_one()
        kept = await s.scalar(select(Booking.cancellation_reason).where(Booking.id == booking.id))
    assert "Årsak: Syk trener\n" in mail.body_text and "Begrunnelse" not in mail.body_text
    assert "Faktureres ikke: 150\u00a0kr" in mail.body_text and "Krediteres" not in mail.body_text
    assert record.startswith("Begrunnelse: Syk trener Gratis avbestilling.")  # the history keeps both
    assert kept == "Syk trener"
