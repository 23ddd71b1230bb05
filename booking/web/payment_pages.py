"""The booker's way through card payment: off to the provider's hosted checkout, and
back again to a confirmation (or to a page that says the payment was cancelled)."""
from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.db.models import Person
from booking.domain.errors import NotFound
from booking.services.bookings import get_booking
from booking.services.payment_events import refresh_payment
from booking.services.payments import start_payment
from booking.web.auth import requires
from booking.web.booking_pages import settings_of


async def own_booking(sessions: async_sessionmaker[AsyncSession], booking_id: int, person: Person):
    """The booking, if it is this person's to pay (404 otherwise, revealing nothing)."""
    async with sessions() as session:
        booking = await get_booking(session, booking_id)
    if booking.person_id != person.id:
        raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id} for this person.")
    return booking


class PaymentPages(Controller):
    path = "/betaling/{booking_id:int}"
    guards = [requires()]

    @get("", name="pay")
    async def pay(self, request: Request, booking_id: int, sessions: async_sessionmaker[AsyncSession],
                  person: Person, now: datetime) -> Redirect:
        """Repeating this (a reload, a double click) gives the same checkout."""
        await own_booking(sessions, booking_id, person)
        settings = settings_of(request)
        here = f"{settings.base_url}/betaling/{booking_id}"
        url = await start_payment(sessions, settings, booking_id, person_id=person.id, success_url=f"{here}/ferdig",
                                  cancel_url=f"{here}/avbrutt", now=now)
        return Redirect(url, status_code=303)

    @get("/ferdig", name="paid")
    async def paid(self, request: Request, booking_id: int, sessions: async_sessionmaker[AsyncSession],
                   person: Person, now: datetime) -> Redirect:
        await own_booking(sessions, booking_id, person)
        booking = await refresh_payment(sessions, settings_of(request), booking_id, now=now)
        return Redirect(f"/mine-bestillinger/{booking.id}?ny=1", status_code=303)

    @get("/avbrutt", name="payment_cancelled")
    async def cancelled(self, booking_id: int, sessions: async_sessionmaker[AsyncSession], person: Person,
                        now: datetime) -> Template:
        booking = await own_booking(sessions, booking_id, person)
        still_held = booking.status == "held" and booking.hold_expires_at and booking.hold_expires_at > now
        return Template("payment/cancelled.html", context={"booking": booking, "still_held": still_held})
