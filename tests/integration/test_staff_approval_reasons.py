"""Why a request waits for approval, in the reader's language: the queue shows each reason
from the rule that gave it (by its code), in English too; the booking's history keeps the
Norwegian sentences it was stored with."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, Premises
from booking.services.bookings import NewBooking, create_booking
from booking.services.payments import choose_invoice
from booking.services.rulebook import current_rules
from booking.settings import from_environment
from pricing import BookingDetails
from tests.integration.test_staff import login_as, next_weekday, staff  # noqa: F401 (fixture)

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


async def _request(staff, premises: str, details: BookingDetails, weeks: int) -> int:
    start = next_weekday(2, 18, weeks=weeks)
    booking = await create_booking(
        staff.db.session,
        NewBooking(
            premises,
            start,
            start + timedelta(hours=2),
            staff.staff.world.person_id,
            staff.staff.world.organisation_id,
            details,
        ),
        rules=await current_rules(staff.db.session),
        now=datetime.now(timezone.utc),
    )
    assert booking.status == "requested"
    return booking.id


async def test_the_queue_gives_approval_reasons_in_english(staff):
    async with staff.db.sessions() as s, write_transaction(s):
        await s.execute(update(Premises).where(Premises.slug == "motesalen").values(requires_approval=True))
    party = await _request(staff, "hallen", BookingDetails("Jubileumsfest", 150, "adults", alcohol=True), weeks=2)
    meeting = await _request(staff, "motesalen", BookingDetails("Styremøte", 8, "adults"), weeks=3)
    await login_as(staff, "department_staff")

    english = await staff.get("/saksbehandling", headers=ENGLISH)
    assert english.status_code == 200
    assert "Serving alcohol needs approval. More than 100 attendees need approval." in english.text
    assert "More than 100 attendees need approval.</dd>" in english.text  # the world's cup for 150
    assert "The department that owns the premises approves every booking of it." in english.text
    assert "krever godkjenning" not in english.text

    norwegian = await staff.get("/saksbehandling")
    assert "Servering av alkohol krever godkjenning. Mer enn 100 deltakere krever godkjenning." in norwegian.text
    assert "Lokalet krever godkjenning av virksomheten som eier det." in norwegian.text
    assert "need approval" not in norwegian.text

    async with staff.db.sessions() as s:  # what was stored stays as it was
        stored = dict(
            (
                await s.execute(
                    select(BookingHistory.booking_id, BookingHistory.reason).where(
                        BookingHistory.booking_id.in_([party, meeting])
                    )
                )
            ).all()
        )
    assert stored == {
        party: "Servering av alkohol krever godkjenning.; Mer enn 100 deltakere krever godkjenning.",
        meeting: "Lokalet krever godkjenning av virksomheten som eier det.",
    }


async def test_a_reason_is_the_rule_it_was_sent_for_even_after_the_details_change(staff):
    # The request keeps the codes of the criteria that sent it to approval: changed details
    # (or a newer rule set) do not change why it went there; the reason is shown in English.
    async with staff.db.sessions() as s, write_transaction(s):
        await s.execute(update(Booking).where(Booking.id == staff.staff.requested_id).values(attendees=40))
    await login_as(staff, "department_staff")
    page = await staff.get("/saksbehandling", headers=ENGLISH)
    assert "More than 100 attendees need approval.</dd>" in page.text


async def test_a_reason_stored_before_codes_that_the_rules_no_longer_give_is_shown_as_stored(staff):
    # A request whose history row has only the Norwegian sentence (written before the codes
    # were kept) and whose details changed since: the rules now give no reason, so the
    # queue shows what the booker was told.
    requested = staff.staff.requested_id
    async with staff.db.sessions() as s, write_transaction(s):
        first = await s.scalar(select(BookingHistory).where(BookingHistory.booking_id == requested))
        old = Booking(
            **{
                c.key: getattr(await s.get(Booking, requested), c.key)
                for c in Booking.__table__.columns
                if c.key not in ("id", "idempotency_key")
            }
        )
        old.start_at, old.end_at, old.attendees = old.start_at + timedelta(days=7), old.end_at + timedelta(days=7), 40
        s.add(old)
        await s.flush()
        s.add(
            BookingHistory(
                booking_id=old.id,
                at=first.at,
                actor_id=first.actor_id,
                from_status=None,
                to_status="requested",
                reason="Mer enn 100 deltakere krever godkjenning.",
            )
        )
    await login_as(staff, "department_staff")
    page = await staff.get("/saksbehandling", headers=ENGLISH)
    assert "Mer enn 100 deltakere krever godkjenning.</dd>" in page.text


async def test_a_request_paid_for_after_it_was_held_shows_why_it_waits(staff):
    # A held booking that needs approval becomes a request once paid for (here: invoice
    # chosen instead of card). That change's history row carries the approval criteria's
    # codes, so the queue shows why it waits, not how it was paid.
    world, now = staff.staff.world, datetime.now(timezone.utc)
    start = next_weekday(3, 18, weeks=4)
    held = await create_booking(
        staff.db.session,
        NewBooking(
            world.hall,
            start,
            start + timedelta(hours=2),
            world.person_id,
            world.organisation_id,
            BookingDetails("Jubileumsfest", 150, "adults"),
            payment_method="card",
        ),
        rules=await current_rules(staff.db.session),
        now=now,
    )
    assert held.status == "held"
    settings = from_environment({"BOOKING_DATABASE_URL": staff.db.url})
    await choose_invoice(staff.db.session, settings, held.id, person_id=world.person_id, now=now)
    async with staff.db.sessions() as s:
        rows = list(
            (
                await s.execute(
                    select(BookingHistory).where(BookingHistory.booking_id == held.id).order_by(BookingHistory.id)
                )
            ).scalars()
        )
    assert [(h.from_status, h.to_status) for h in rows] == [(None, "held"), ("held", "requested")]
    assert rows[1].reason == "Faktura valgt i stedet for kort."
    assert rows[1].reason_codes == rows[0].reason_codes and rows[0].reason_codes
    await login_as(staff, "department_staff")
    page = await staff.get("/saksbehandling", headers=ENGLISH)
    assert "Jubileumsfest" in page.text
    assert "More than 100 attendees need approval." in page.text
    assert "Faktura valgt i stedet for kort." not in page.text
