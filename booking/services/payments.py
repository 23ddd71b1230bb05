"""Paying for a booking. Free bookings skip payment; how a priced one may be paid is
part of the rule set (each customer group's `payment_methods`, see pricing.payment_methods):
by card on the provider's hosted page while the slot is held, or by invoice after. A payment
is its own row with its own states, as in pretix: confirming it locks the row and does
nothing when it is already done, and the provider's webhook is only a trigger to fetch the payment from the provider.

A weekly series is paid in one checkout: one payment row per occurrence (so cancelling
one date refunds that date's row), the first row leading and the others `part_of` it.
The rows of one checkout move together; a single booking is a checkout of one row.

Calls to the provider are made outside database transactions (a slow provider must not
hold a lock), with idempotency keys derived from our payment ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby

from babel.dates import format_date
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking import notify
from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, Organisation, Payment, Person, Premises
from booking.domain.errors import DomainError, Forbidden
from booking.domain.lifecycle import Status
from booking.formatting import LOCALES, when
from booking.notify.render import language_of
from booking.payments import (
    TEST_MODE,
    CheckoutLine,
    CheckoutRequest,
    PaymentProvider,
    ProviderError,
    card_available,
    card_in_test_mode,
    provider_for_method,
    providers,
    states,
)
from booking.services.bookings import change_status, get_booking, locked_booking
from booking.services.rulebook import HarmonisedRules, booker_facts
from booking.settings import Settings
from common.localtime import OSLO
from pricing import BookingDetails
from pricing.payment_methods import allowed_payment_methods

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
    card_test_mode: bool = False  # card is the offline test mode: no money is taken, and the page says so

    @property
    def bookable(self) -> bool:
        return self.free or bool(self.methods)

    def chosen(self, method: str | None) -> str | None:
        """The method to book with: the one asked for, or the only one there is."""
        if self.free:
            return None
        if method is None and len(self.methods) == 1:
            return self.methods[0]
        return method


def may_invoice(organisation: Organisation | None) -> bool:
    from stdnum.no import orgnr

    return bool(organisation and organisation.orgnr and orgnr.is_valid(organisation.orgnr))


def allowed_by_rules(
    rules: HarmonisedRules,
    *,
    start: date | datetime,
    person: Person | None,
    organisation: Organisation | None,
    details: BookingDetails,
) -> tuple[str, ...]:
    """The methods the rule set in force at `start` lets this booker's customer group use."""
    who = booker_facts(person, organisation)
    rule_set = rules.in_force(start)
    group = rule_set.groups[pricing.customer_group(who, details)[0]]
    return allowed_payment_methods(group, who)


def payment_choices(
    settings: Settings, *, total: Decimal, organisation: Organisation | None, allowed: tuple[str, ...] | None = None
) -> PaymentChoices:
    """Free: nothing to choose. Otherwise what the rules allow (`allowed_by_rules`; without
    it, card, and invoice too for an organisation with a valid organisation number), less
    card when no card provider is configured."""
    card = card_available(settings)
    if Decimal(total) <= 0:
        return PaymentChoices(True, (), card)
    if allowed is None:
        allowed = ("card", "invoice") if may_invoice(organisation) else ("card",)
    methods = tuple(m for m in allowed if m != "card" or card)
    if card or "card" not in allowed:
        return PaymentChoices(False, methods, card, card_test_mode=card_in_test_mode(settings))
    return PaymentChoices(
        False,
        methods,
        card,
        "Kortbetaling er ikke tilgjengelig akkurat nå.",
        "Card payment is not available at the moment.",
    )


def _card_provider(settings: Settings, name: str | None = None) -> PaymentProvider:
    provider = providers(settings).get(name) if name else provider_for_method(settings, "card")
    if provider is None:
        raise PaymentUnavailable(
            "card_unavailable", "Kortbetaling er ikke tilgjengelig akkurat nå.", "Card payment is not available."
        )
    return provider


async def paid_in_test_mode(session: AsyncSession, booking_id: int) -> bool:
    """Whether this booking's card payment went through the test mode (no money moved)."""
    return (
        await session.scalar(
            select(Payment.id).where(Payment.booking_id == booking_id, Payment.provider == TEST_MODE).limit(1)
        )
        is not None
    )


async def _locked_payment(session: AsyncSession, payment_id: int) -> Payment:
    return (await session.execute(select(Payment).where(Payment.id == payment_id).with_for_update())).scalar_one()


def _own(booking: Booking, person_id: int) -> None:
    if booking.person_id != person_id:
        raise Forbidden("not_your_booking", "Det er ikke din bestilling.", "This booking is not yours.")


async def checkout_rows(session: AsyncSession, payment: Payment) -> list[Payment]:
    """The payment rows one checkout pays for, locked, the leading row first."""
    lead = payment.part_of or payment.id
    return list(
        (
            await session.execute(
                select(Payment)
                .where(Payment.kind == "payment", or_(Payment.id == lead, Payment.part_of == lead))
                .order_by(Payment.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )


async def paid_together(session: AsyncSession, booking: Booking, now: datetime) -> list[Booking]:
    """The held card bookings one checkout pays for, locked: the booking itself, or every
    occurrence of its weekly series still held for the same booker, by date (always in
    that order, so two requests for dates of one series cannot deadlock)."""
    if booking.series_id is None:
        return [await locked_booking(session, booking.id)]
    return list(
        (
            await session.execute(
                select(Booking)
                .where(
                    Booking.series_id == booking.series_id,
                    Booking.person_id == booking.person_id,
                    Booking.status == Status.HELD.value,
                    Booking.payment_method == "card",
                    Booking.hold_expires_at > now,
                )
                .order_by(Booking.start_at, Booking.id)
                .with_for_update(of=Booking)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )


def _short_date(instant: datetime, language: str) -> str:
    return format_date(instant.astimezone(OSLO), "d.M.y" if language == "nb" else "d MMM y", locale=LOCALES[language])


def checkout_lines(premises: Premises, bookings: list[Booking], language: str) -> tuple[CheckoutLine, ...]:
    """One line for a booking; for a series one line per price with the count of dates
    (Stripe allows at most 100 lines, a series up to 260 dates)."""
    if len(bookings) == 1:
        (booking,) = bookings
        return (
            CheckoutLine(
                f"{premises.name}, {when(booking.start_at, language)} ({notify.booking_reference(booking.id)})",
                Decimal(booking.price_total),
            ),
        )
    lines = []
    for price, same in groupby(
        sorted(bookings, key=lambda b: (Decimal(b.price_total), b.start_at)), key=lambda b: Decimal(b.price_total)
    ):
        same = list(same)
        dates = ", ".join(_short_date(b.start_at, language) for b in same[:3]) + (", …" if len(same) > 3 else "")
        times = "ganger" if language == "nb" else "times"
        lines.append(CheckoutLine(f"{premises.name}, {len(same)} {times}: {dates}", price, len(same)))
    return tuple(lines)


def _check_held(booking: Booking, now: datetime) -> None:
    if booking.status != Status.HELD.value:
        raise DomainError(
            "nothing_to_pay",
            "Denne bestillingen venter ikke på betaling.",
            "This booking is not waiting for payment.",
            booking_status=booking.status,
        )
    if booking.hold_expires_at is None or booking.hold_expires_at <= now:
        raise DomainError(
            "hold_expired",
            "Reservasjonen er utløpt. Bestill tiden på nytt.",
            "The hold has expired. Book the time again.",
        )


async def start_payment(
    session: AsyncSession,
    settings: Settings,
    booking_id: int,
    *,
    person_id: int,
    success_url: str,
    cancel_url: str,
    now: datetime,
    provider_name: str | None = None,
) -> str:
    """The URL of the provider's checkout page for a held card booking, or for all the
    held occurrences of its weekly series at once. Calling it again (a reload, a double
    click, another date of the same series) gives the same checkout, not a second one."""
    provider = _card_provider(settings, provider_name)
    async with write_transaction(session):
        booking = await get_booking(session, booking_id)
        _own(booking, person_id)
        bookings = await paid_together(session, booking, now)
        _check_held(booking, now)
        payment = (
            await session.execute(
                select(Payment)
                .where(
                    Payment.booking_id == booking.id,
                    Payment.kind == "payment",
                    Payment.provider == provider.name,
                    Payment.state.in_(states.OPEN_PAYMENT),
                )
                .order_by(Payment.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if payment is not None and payment.checkout_url:
            return payment.checkout_url
        if payment is None:
            rows = [
                Payment(
                    booking_id=b.id,
                    kind="payment",
                    provider=provider.name,
                    state=states.CREATED,
                    amount=Decimal(b.price_total),
                    currency="NOK",
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
                for b in bookings
            ]
            session.add(rows[0])
            await session.flush()
            for row in rows[1:]:
                row.part_of = rows[0].id
            session.add_all(rows[1:])
            await session.flush()
        else:  # started before, but the provider did not answer: the same rows again
            rows = await checkout_rows(session, payment)
            bookings = [await session.get(Booking, row.booking_id) for row in rows]
        person = await session.get(Person, booking.person_id)
        premises = await session.get(Premises, booking.premises_id)
        language = language_of(person.language)
        lines = checkout_lines(premises, bookings, language)
        request = CheckoutRequest(
            payment_id=rows[0].id,
            booking_id=rows[0].booking_id,
            lines=lines,
            currency="NOK",
            description=lines[0].description
            if len(lines) == 1
            else f"{premises.name}, {len(bookings)} {'datoer' if language == 'nb' else 'dates'}",
            customer_email=person.email,
            language=language,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=max(min(b.hold_expires_at for b in bookings), now + MIN_CHECKOUT_LIFETIME),
        )
        row_ids = [row.id for row in rows]
    try:
        checkout = await provider.start_checkout(request, idempotency_key=f"lokaler-payment-{row_ids[0]}-checkout")
    except ProviderError as error:
        async with write_transaction(session):
            row = await _locked_payment(session, row_ids[0])
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"
            row.updated_at = now
        raise PaymentUnavailable(
            "payment_unavailable",
            "Betalingen kunne ikke startes. Prøv igjen om litt.",
            "The payment could not be started. Try again shortly.",
        ) from error
    async with write_transaction(session):
        for row in await checkout_rows(session, await _locked_payment(session, row_ids[0])):
            if row.state == states.CREATED:
                row.state = states.PENDING
            row.provider_ref = row.provider_ref or checkout.reference
            row.checkout_url = checkout.url
            if row.id == row_ids[0]:
                row.attempts += 1
            row.last_error = None
            row.updated_at = now
    return checkout.url


async def choose_invoice(
    session: AsyncSession, settings: Settings, booking_id: int, *, person_id: int, now: datetime
) -> Booking:
    """An organisation's held card booking (with the rest of its weekly series) is paid
    by invoice instead: the slots are kept, open card payments are given up (a late card
    payment is refunded in full)."""
    async with write_transaction(session):
        booking = await get_booking(session, booking_id)
        _own(booking, person_id)
        organisation = await session.get(Organisation, booking.organisation_id) if booking.organisation_id else None
        if not may_invoice(organisation):
            raise DomainError(
                "invoice_needs_organisation",
                "Faktura kan bare velges av organisasjoner med gyldig organisasjonsnummer.",
                "Invoice is only for organisations with a valid organisation number.",
            )
        together = await paid_together(session, booking, now)
        _check_held(booking, now)
        checkouts = []
        for held in together:
            checkouts += await give_up_open_payments(session, held.id, now)
            held.payment_method = "invoice"
            target, codes = await paid_status(session, held.id)
            await change_status(
                session,
                held.id,
                target,
                actor_id=person_id,
                reason="Faktura valgt i stedet for kort.",
                now=now,
                reason_codes=codes,
            )
        if booking.series_id is not None:
            await notify.series_summary(
                session, booking.series_id, "changed", now, key=f"series-{booking.series_id}-invoice-{booking.id}"
            )
    await close_checkouts(settings, checkouts)
    return booking


async def give_up_open_payments(session: AsyncSession, booking_id: int, now: datetime) -> list[tuple[str, str, int]]:
    """Payments not (yet) made for a booking that no longer wants them are cancelled, with
    the other rows of their checkout (a closed checkout pays for none of them); a payment
    that still arrives is refunded in full. Returns the checkouts to close after commit
    as (provider, reference, leading payment id)."""
    checkouts = []
    for payment in (
        (
            await session.execute(
                select(Payment).where(
                    Payment.booking_id == booking_id,
                    Payment.kind == "payment",
                    Payment.state.in_([*states.OPEN_PAYMENT, states.FAILED]),
                )
            )
        )
        .scalars()
        .all()
    ):
        rows = await checkout_rows(session, payment)
        for row in rows:
            if states.allowed("payment", row.state, states.CANCELLED):
                row.state = states.CANCELLED
                row.updated_at = now
        if rows[0].provider_ref:
            checkouts.append((rows[0].provider, rows[0].provider_ref, rows[0].id))
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


async def paid_status(session: AsyncSession, booking_id: int) -> tuple[Status, tuple[str, ...]]:
    """What a held booking becomes once it is paid for (or invoiced): requested when the
    rules asked for staff approval when it was made, else confirmed; and the approval
    criteria's codes, for its history row (the queue shows why from them). The engine
    writes the approval reasons and their codes on the booking's first history row."""
    first = (
        await session.execute(
            select(BookingHistory).where(BookingHistory.booking_id == booking_id).order_by(BookingHistory.id).limit(1)
        )
    ).scalar_one_or_none()
    if first and first.reason:
        return Status.REQUESTED, tuple(first.reason_codes or ())
    return Status.CONFIRMED, ()
