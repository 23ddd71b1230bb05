"""Cancelling and rejecting with money: the rule set's cancellation fee is kept, the rest
is refunded to the card (card) or credited, i.e. not invoiced (invoice). The refund rows
and the cancellation commit together; the provider is called after commit, and a refund
that fails is retried (`booking payments retry-refunds`) and shown to staff."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import pricing
from booking.db.engine import write_transaction
from booking.db.models import Booking, Payment
from booking.domain.errors import InvalidTransition, NotFound
from booking.domain.lifecycle import Status
from booking.payments import states
from booking.services.bookings import change_status
from booking.services.payments import close_checkouts
from booking.services.refunds import add_credit, add_refund, process_refunds, refundable
from booking.services.rulebook import HarmonisedRules
from booking.settings import Settings
from pricing.lending import cancellation_rule
from pricing.money import kr_en, kr_nb


@dataclass(frozen=True)
class CancellationTerms:
    """What cancelling costs and what comes back, to show before and after."""

    booking_id: int
    method: str | None  # "card" | "invoice" | None (free)
    fee: Decimal
    paid: Decimal    # paid by card and not yet refunded
    refund: Decimal  # back to the card
    credit: Decimal  # not invoiced
    explanation_nb: str
    explanation_en: str


def fee_for(booking: Booking, rules: HarmonisedRules, now: datetime, *, by_staff: bool) -> tuple[Decimal, str, str]:
    """(fee, why in Norwegian, why in English). Only a confirmed booking cancelled by its
    booker has a fee; a request not yet approved or a hold not yet paid is free, and so is
    a cancellation by staff."""
    lending = rules.in_force(booking.start_at).lending
    rule_nb, rule_en = cancellation_rule(lending)
    if by_staff:
        return Decimal(0), "Avlyst av kommunen: ingen gebyr.", "Cancelled by the municipality: no fee."
    if booking.status != Status.CONFIRMED.value:
        return (Decimal(0), f"Gratis: bestillingen er ikke bekreftet ennå. {rule_nb}",
                f"Free: the booking is not confirmed yet. {rule_en}")
    fee, _ = pricing.cancellation_fee(Decimal(booking.price_total or 0), booking.start_at, now,
                                      rules.in_force(booking.start_at))
    fee = min(fee, Decimal(booking.price_total or 0))
    if fee == 0:
        return fee, f"Gratis avbestilling. {rule_nb}", f"Free cancellation. {rule_en}"
    return fee, f"Avbestillingsgebyr {kr_nb(fee)}. {rule_nb}", f"Cancellation fee {kr_en(fee)}. {rule_en}"


async def _paid(session: AsyncSession, booking_id: int) -> list[tuple[Payment, Decimal]]:
    payments = (await session.execute(select(Payment).where(
        Payment.booking_id == booking_id, Payment.kind == "payment", Payment.provider != "invoice",
        Payment.state == states.PAID).order_by(Payment.id))).scalars().all()
    return [(p, left) for p in payments if (left := await refundable(session, p)) > 0]


async def _terms(session: AsyncSession, booking: Booking, rules: HarmonisedRules, now: datetime,
                 by_staff: bool) -> CancellationTerms:
    fee, nb, en = fee_for(booking, rules, now, by_staff=by_staff)
    paid = sum((left for _, left in await _paid(session, booking.id)), Decimal(0))
    if booking.payment_method == "invoice":
        return CancellationTerms(booking.id, "invoice", fee, paid, Decimal(0),
                                 max(Decimal(booking.price_total) - fee, Decimal(0)), nb, en)
    if booking.payment_method == "card":
        fee = min(fee, paid)  # nothing more is charged than was paid
        return CancellationTerms(booking.id, "card", fee, paid, paid - fee, Decimal(0), nb, en)
    return CancellationTerms(booking.id, booking.payment_method, Decimal(0), Decimal(0), Decimal(0), Decimal(0), nb, en)


async def cancellation_terms(session: AsyncSession, booking_id: int, *, rules: HarmonisedRules, now: datetime,
                             by_staff: bool = False) -> CancellationTerms:
    """The preview for the cancel page: the fee, and what is refunded or credited."""
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
    return await _terms(session, booking, rules, now, by_staff)


async def settle_money(session: AsyncSession, booking: Booking, terms: CancellationTerms,
                       now: datetime) -> tuple[list[int], list[tuple[str, str]]]:
    """In the cancelling transaction, before the status changes (the mail reads these
    rows): refund rows for the card, a credit row for the invoice, and open checkouts
    given up. Returns (refund ids, checkouts to close) for after commit."""
    refund_ids: list[int] = []
    checkouts: list[tuple[str, str]] = []
    left = terms.refund
    for payment, refundable_amount in await _paid(session, booking.id):
        if left <= 0:
            break
        refund = await add_refund(session, payment, min(left, refundable_amount), now, reason="cancellation")
        refund_ids.append(refund.id)
        left -= refund.amount
    if terms.credit > 0:
        await add_credit(session, booking, terms.credit, now)
    for payment in (await session.execute(select(Payment).where(
            Payment.booking_id == booking.id, Payment.kind == "payment",
            Payment.state.in_([*states.OPEN_PAYMENT, states.FAILED])))).scalars():
        payment.state = states.CANCELLED
        payment.updated_at = now
        if payment.provider_ref:
            checkouts.append((payment.provider, payment.provider_ref))
    return refund_ids, checkouts


async def cancel_booking(sessions: async_sessionmaker[AsyncSession], settings: Settings, booking_id: int, *,
                         actor_id: int | None, reason: str, rules: HarmonisedRules, now: datetime,
                         by_staff: bool = False) -> CancellationTerms:
    """Cancel with the fee the rules set; refund the rest (card) or credit it (invoice).
    Permission to cancel is the caller's to check (the booker, a delegate, or staff)."""
    async with write_transaction(sessions) as session:
        booking = (await session.execute(select(Booking).where(Booking.id == booking_id)
                                         .with_for_update(of=Booking))).scalar_one_or_none()
        if booking is None:
            raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
        if booking.start_at <= now and not (by_staff and booking.end_at > now):
            raise InvalidTransition("already_started", "Bestillingen har allerede begynt og kan ikke avbestilles.",
                                    "The booking has already started and cannot be cancelled.")
        terms = await _terms(session, booking, rules, now, by_staff)
        refund_ids, checkouts = await settle_money(session, booking, terms, now)
        text = f"{reason.strip()} {terms.explanation_nb}".strip()
        await change_status(session, booking.id, Status.CANCELLED, actor_id=actor_id, reason=text, now=now)
    await close_checkouts(settings, checkouts)
    if refund_ids:
        await process_refunds(sessions, settings, now=now, ids=refund_ids)
    return terms


async def reject_booking(sessions: async_sessionmaker[AsyncSession], settings: Settings, booking_id: int, *,
                         actor_id: int | None, reason: str, rules: HarmonisedRules, now: datetime) -> Booking:
    """Staff reject a request: whatever was paid is refunded in full, nothing is invoiced."""
    async with write_transaction(sessions) as session:
        booking = (await session.execute(select(Booking).where(Booking.id == booking_id)
                                         .with_for_update(of=Booking))).scalar_one_or_none()
        if booking is None:
            raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
        terms = await _terms(session, booking, rules, now, by_staff=True)
        refund_ids, checkouts = await settle_money(session, booking, terms, now)
        booking = await change_status(session, booking.id, Status.REJECTED, actor_id=actor_id, reason=reason,
                                      now=now)
    await close_checkouts(settings, checkouts)
    if refund_ids:
        await process_refunds(sessions, settings, now=now, ids=refund_ids)
    return booking
