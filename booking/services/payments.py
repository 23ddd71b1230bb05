"""Paying for a booking. Free bookings skip payment; private persons pay by card on
the provider's hosted page while the slot is held; organisations with an organisation
number may choose invoice instead. A payment is its own row with its own states, as in
pretix: confirming it locks the row and does nothing when it is already done, and the
provider's webhook is only a trigger to fetch the payment from the provider.

Calls to the provider are made outside database transactions (a slow provider must not
hold a lock), with idempotency keys derived from our payment ids.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking import notify
from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, Organisation, Payment, Person, Premises
from booking.domain.errors import DomainError, Forbidden, NotFound
from booking.domain.lifecycle import Status
from booking.notify.render import language_of, when
from booking.payments import (
    CheckoutRequest, PaymentProvider, ProviderError, card_available, provider_for_method, providers,
)
from booking.payments import states
from booking.services.bookings import change_status
from booking.settings import Settings

log = logging.getLogger("booking.payments")

# Stripe Checkout lives at least 30 minutes; a hold may be shorter. A payment that
# arrives after the hold is still taken if the slot is free (see payment_events).
MIN_CHECKOUT_LIFETIME = timedelta(minutes=31)


class PaymentUnavailable(DomainError):
    status = 503


@dataclass(frozen=True)
class PaymentChoices:
    """What the booking page offers. `methods` is empty when nothing is to be paid."""

    free: bool
    methods: tuple[str, ...]  # "card", "invoice", in the order to show them
    card_available: bool
    message_nb: str = ""  # why a method the booker would expect is missing
    message_en: str = ""

    @property
    def bookable(self) -> bool:
        return self.free or bool(self.methods)


def may_invoice(organisation: Organisation | None) -> bool:
    from stdnum.no import orgnr
    return bool(organisation and organisation.orgnr and orgnr.is_valid(organisation.orgnr))


def payment_choices(settings: Settings, *, total: Decimal, organisation: Organisation | None) -> PaymentChoices:
    """Free: nothing to choose. Private persons: card. Organisations with an organisation
    number: card or invoice. Without a card provider configured, card is not offered."""
    card = card_available(settings)
    if Decimal(total) <= 0:
        return PaymentChoices(True, (), card)
    methods = tuple(m for m, ok in (("card", card), ("invoice", may_invoice(organisation))) if ok)
    if card:
        return PaymentChoices(False, methods, card)
    return PaymentChoices(False, methods, card, "Kortbetaling er ikke tilgjengelig akkurat nå.",
                          "Card payment is not available at the moment.")


def _card_provider(settings: Settings, name: str | None = None) -> PaymentProvider:
    provider = providers(settings).get(name) if name else provider_for_method(settings, "card")
    if provider is None:
        raise PaymentUnavailable("card_unavailable", "Kortbetaling er ikke tilgjengelig akkurat nå.",
                                 "Card payment is not available.")
    return provider


async def locked_booking(session: AsyncSession, booking_id: int) -> Booking:
    booking = (await session.execute(
        select(Booking).where(Booking.id == booking_id).with_for_update(of=Booking))).scalar_one_or_none()
    if booking is None:
        raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
    return booking


async def _locked_payment(session: AsyncSession, payment_id: int) -> Payment:
    return (await session.execute(select(Payment).where(Payment.id == payment_id).with_for_update())).scalar_one()


def _own(booking: Booking, person_id: int) -> None:
    if booking.person_id != person_id:
        raise Forbidden("not_your_booking", "Det er ikke din bestilling.", "This booking is not yours.")


async def start_payment(sessions: async_sessionmaker[AsyncSession], settings: Settings, booking_id: int, *,
                        person_id: int, success_url: str, cancel_url: str, now: datetime,
                        provider_name: str | None = None) -> str:
    """The URL of the provider's checkout page for a held card booking. Calling it again
    (a reload, a double click) gives the same checkout, not a second payment."""
    provider = _card_provider(settings, provider_name)
    async with write_transaction(sessions) as session:
        booking = await locked_booking(session, booking_id)
        _own(booking, person_id)
        if booking.status != Status.HELD.value or booking.payment_method != "card":
            raise DomainError("nothing_to_pay", "Denne bestillingen venter ikke på kortbetaling.",
                              "This booking is not waiting for a card payment.", booking_status=booking.status)
        if booking.hold_expires_at is None or booking.hold_expires_at <= now:
            raise DomainError("hold_expired", "Reservasjonen er utløpt. Bestill tiden på nytt.",
                              "The hold has expired. Book the time again.")
        payment = (await session.execute(
            select(Payment).where(Payment.booking_id == booking.id, Payment.kind == "payment",
                                  Payment.provider == provider.name, Payment.state.in_(states.OPEN_PAYMENT))
            .order_by(Payment.id.desc()).limit(1))).scalar_one_or_none()
        if payment is not None and payment.checkout_url:
            return payment.checkout_url
        if payment is None:
            payment = Payment(booking_id=booking.id, kind="payment", provider=provider.name, state=states.CREATED,
                              amount=Decimal(booking.price_total), currency="NOK", attempts=0,
                              created_at=now, updated_at=now)
            session.add(payment)
            await session.flush()
        person = await session.get(Person, booking.person_id)
        premises = await session.get(Premises, booking.premises_id)
        language = language_of(person.language)
        request = CheckoutRequest(
            payment_id=payment.id, booking_id=booking.id, amount=Decimal(booking.price_total), currency="NOK",
            description=f"{premises.name}, {when(booking.start_at, language)} ({notify.booking_reference(booking.id)})",
            customer_email=person.email, language=language, success_url=success_url, cancel_url=cancel_url,
            expires_at=max(booking.hold_expires_at, now + MIN_CHECKOUT_LIFETIME))
        payment_id = payment.id
    try:
        checkout = await provider.start_checkout(request, idempotency_key=f"lokaler-payment-{payment_id}-checkout")
    except ProviderError as error:
        async with write_transaction(sessions) as session:
            row = await _locked_payment(session, payment_id)
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"
            row.updated_at = now
        raise PaymentUnavailable("payment_unavailable", "Betalingen kunne ikke startes. Prøv igjen om litt.",
                                 "The payment could not be started. Try again shortly.") from error
    async with write_transaction(sessions) as session:
        row = await _locked_payment(session, payment_id)
        if row.state == states.CREATED:
            row.state = states.PENDING
        row.provider_ref = row.provider_ref or checkout.reference
        row.checkout_url = checkout.url
        row.attempts += 1
        row.last_error = None
        row.updated_at = now
    return checkout.url


async def choose_invoice(sessions: async_sessionmaker[AsyncSession], settings: Settings, booking_id: int, *,
                         person_id: int, now: datetime) -> Booking:
    """An organisation's held card booking is paid by invoice instead: the slot is kept,
    open card payments are given up (a late card payment is refunded in full)."""
    async with write_transaction(sessions) as session:
        booking = await locked_booking(session, booking_id)
        _own(booking, person_id)
        organisation = await session.get(Organisation, booking.organisation_id) if booking.organisation_id else None
        if not may_invoice(organisation):
            raise DomainError("invoice_needs_organisation",
                              "Faktura kan bare velges av organisasjoner med gyldig organisasjonsnummer.",
                              "Invoice is only for organisations with a valid organisation number.")
        if booking.status != Status.HELD.value:
            raise DomainError("nothing_to_pay", "Denne bestillingen venter ikke på betaling.",
                              "This booking is not waiting for payment.", booking_status=booking.status)
        if booking.hold_expires_at is not None and booking.hold_expires_at <= now:
            raise DomainError("hold_expired", "Reservasjonen er utløpt. Bestill tiden på nytt.",
                              "The hold has expired. Book the time again.")
        checkouts = await give_up_open_payments(session, booking.id, now)
        booking.payment_method = "invoice"
        target = Status.REQUESTED if await needed_approval(session, booking.id) else Status.CONFIRMED
        booking = await change_status(session, booking.id, target, actor_id=person_id,
                                      reason="Faktura valgt i stedet for kort.", now=now)
    await close_checkouts(settings, checkouts)
    return booking


async def give_up_open_payments(session: AsyncSession, booking_id: int, now: datetime) -> list[tuple[str, str, int]]:
    """Payments not (yet) made for a booking that no longer wants them are cancelled; a
    payment that still arrives is refunded in full. Returns the checkouts to close after
    commit as (provider, reference, payment id)."""
    checkouts = []
    for payment in (await session.execute(select(Payment).where(
            Payment.booking_id == booking_id, Payment.kind == "payment",
            Payment.state.in_([*states.OPEN_PAYMENT, states.FAILED])).with_for_update())).scalars():
        payment.state = states.advance("payment", payment.state, states.CANCELLED)
        payment.updated_at = now
        if payment.provider_ref:
            checkouts.append((payment.provider, payment.provider_ref, payment.id))
    return checkouts


async def close_checkouts(settings: Settings, checkouts: list[tuple[str, str, int]]) -> None:
    configured = providers(settings)
    for name, reference, payment_id in checkouts:
        provider = configured.get(name)
        if provider is None:
            continue
        try:
            await provider.cancel_checkout(reference, idempotency_key=f"lokaler-payment-{payment_id}-close")
        except ProviderError as error:  # the checkout expires by itself; a late payment is refunded
            log.info("could not close checkout %s: %s", reference, error)


async def needed_approval(session: AsyncSession, booking_id: int) -> bool:
    """Whether the rules asked for staff approval when the booking was made: the engine
    writes the approval reasons on the booking's first history row."""
    first = (await session.execute(select(BookingHistory).where(BookingHistory.booking_id == booking_id)
                                   .order_by(BookingHistory.id).limit(1))).scalar_one_or_none()
    return bool(first and first.reason)
