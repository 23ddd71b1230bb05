"""The booker's way through card payment: off to the provider's hosted checkout, and
back again to a confirmation (or to a page that says the payment was cancelled). In test
mode the hosted checkout is served here too (`TestCheckoutPages`)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person
from booking.domain.errors import NotFound
from booking.payments import TEST_MODE, ProviderRefused, providers
from booking.payments.testmode_provider import TestCheckout, TestModeProvider
from booking.services.bookings import get_booking
from booking.services.payment_events import handle_webhook, refresh_payment
from booking.services.payments import paid_in_test_mode, start_payment
from booking.settings import Settings
from booking.web.auth import requires


async def own_booking(db: AsyncSession, booking_id: int, person: Person):
    """The booking, if it is this person's to pay (404 otherwise, revealing nothing)."""
    booking = await get_booking(db, booking_id)
    if booking.person_id != person.id:
        raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id} for this person.")
    return booking


class PaymentPages(Controller):
    path = "/betaling/{booking_id:int}"
    guards = [requires()]

    @get("", name="pay")
    async def pay(
        self,
        booking_id: int,
        db: AsyncSession,
        settings: Settings,
        person: Person,
        now: datetime,
    ) -> Redirect:
        """Repeating this (a reload, a double click) gives the same checkout."""
        await own_booking(db, booking_id, person)
        here = f"{settings.base_url}/betaling/{booking_id}"
        url = await start_payment(
            db,
            settings,
            booking_id,
            person_id=person.id,
            success_url=f"{here}/ferdig",
            cancel_url=f"{here}/avbrutt",
            now=now,
        )
        return Redirect(url, status_code=303)

    @get("/ferdig", name="paid")
    async def paid(
        self,
        booking_id: int,
        db: AsyncSession,
        settings: Settings,
        person: Person,
        now: datetime,
    ) -> Redirect:
        await own_booking(db, booking_id, person)
        booking = await refresh_payment(db, settings, booking_id, now=now)
        return Redirect(f"/mine-bestillinger/{booking.id}?ny=1", status_code=303)

    @get("/avbrutt", name="payment_cancelled")
    async def cancelled(self, booking_id: int, db: AsyncSession, person: Person, now: datetime) -> Template:
        booking = await own_booking(db, booking_id, person)
        still_held = booking.status == "held" and booking.hold_expires_at and booking.hold_expires_at > now
        test_mode = await paid_in_test_mode(db, booking_id)
        return Template(
            "payment/cancelled.html", context={"booking": booking, "still_held": still_held, "test_mode": test_mode}
        )


class TestCheckoutPages(Controller):
    """The test mode's hosted checkout (booking/payments/testmode_provider.py), open to
    whoever has its unguessable link, as Stripe Checkout is. Paying records the payment
    in the provider's store and hands its signed event to the webhook handling, which
    fetches the payment back from the provider, exactly as a Stripe webhook does."""

    path = "/testbetaling/{reference:str}"

    @staticmethod
    def _open(settings: Settings, reference: str) -> tuple[TestModeProvider, TestCheckout]:
        provider = providers(settings).get(TEST_MODE)
        checkout = provider.checkout(reference) if provider else None
        if checkout is None:
            raise NotFound("unknown_checkout", "Fant ikke betalingen.", f"No test checkout {reference}.")
        return provider, checkout

    @get("", name="test_checkout")
    async def show(self, reference: str, settings: Settings, now: datetime) -> Template:
        _, checkout = self._open(settings, reference)
        return Template("payment/test_checkout.html", context={"checkout": checkout, "state": checkout.state(now)})

    @post("", status_code=303)
    async def pay(self, reference: str, db: AsyncSession, settings: Settings, now: datetime) -> Redirect | Template:
        provider, checkout = self._open(settings, reference)
        try:
            body, headers = provider.pay(reference, now)
        except ProviderRefused:  # expired (or closed) before the booker pressed pay
            checkout = provider.checkout(reference)
            return Template(
                "payment/test_checkout.html",
                status_code=409,
                context={"checkout": checkout, "state": checkout.state(now)},
            )
        await handle_webhook(db, settings, provider.name, body, headers, now=now)
        return Redirect(checkout.success_url, status_code=303)
