"""Cancelling and rejecting with money: the rule set's cancellation fee is kept, the rest
is refunded to the card (card) or credited, i.e. not invoiced (invoice). The refund rows
and the cancellation commit together; the provider is called after commit, and a refund
that fails is retried (`booking payments retry-refunds`) and shown to staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.engine import write_transaction
from booking.db.models import Booking, Payment
from booking.domain.errors import InvalidTransition, NotFound
from booking.domain.lifecycle import Status
from booking.payments import states
from booking.services.bookings import change_status, locked_booking
from booking.services.payments import close_checkouts, give_up_open_payments
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
    paid: Decimal  # paid by card and not yet refunded
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
        return (
            Decimal(0),
            f"Gratis: bestillingen er ikke bekreftet ennå. {rule_nb}",
            f"Free: the booking is not confirmed yet. {rule_en}",
        )
    fee, _ = pricing.cancellation_fee(
        Decimal(booking.price_total or 0), booking.start_at, now, rules.in_force(booking.start_at)
    )
    fee = min(fee, Decimal(booking.price_total or 0))
    if fee == 0:
        return fee, f"Gratis avbestilling. {rule_nb}", f"Free cancellation. {rule_en}"
    return fee, f"Avbestillingsgebyr {kr_nb(fee)}. {rule_nb}", f"Cancellation fee {kr_en(fee)}. {rule_en}"


async def _paid(session: AsyncSession, booking_id: int) -> list[tuple[Payment, Decimal]]:
    payments = (
        (
            await session.execute(
                select(Payment)
                .where(
                    Payment.booking_id == booking_id,
                    Payment.kind == "payment",
                    Payment.provider != "invoice",
                    Payment.state == states.PAID,
                )
                .order_by(Payment.id)
            )
        )
        .scalars()
        .all()
    )
    return [(p, left) for p in payments if (left := await refundable(session, p)) > 0]


def _split(booking: Booking, fee: Decimal, paid: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(fee kept, refund to the card, credit on the invoice) for a fee the rules set."""
    if booking.payment_method == "invoice":
        return fee, Decimal(0), max(Decimal(booking.price_total) - fee, Decimal(0))
    if booking.payment_method == "card":
        kept = min(fee, paid)  # nothing more is kept than was paid
        return kept, paid - kept, Decimal(0)
    return Decimal(0), Decimal(0), Decimal(0)


def terms_of(
    booking: Booking, rules: HarmonisedRules, now: datetime, *, by_staff: bool, paid: Decimal = Decimal(0)
) -> CancellationTerms:
    """Pure: what cancelling now costs, with `paid` by card still refundable (nothing
    yet, for a booking just made)."""
    fee, nb, en = fee_for(booking, rules, now, by_staff=by_staff)
    kept, refund, credit = _split(booking, fee, paid)
    return CancellationTerms(booking.id, booking.payment_method, kept, paid, refund, credit, nb, en)


async def _terms(
    session: AsyncSession, booking: Booking, rules: HarmonisedRules, now: datetime, by_staff: bool
) -> CancellationTerms:
    paid = sum((left for _, left in await _paid(session, booking.id)), Decimal(0))
    return terms_of(booking, rules, now, by_staff=by_staff, paid=paid)


async def cancellation_terms(
    session: AsyncSession, booking_id: int, *, rules: HarmonisedRules, now: datetime, by_staff: bool = False
) -> CancellationTerms:
    """The preview for the cancel page: the fee, and what is refunded or credited."""
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
    return await _terms(session, booking, rules, now, by_staff)


@dataclass
class AfterCommit:
    """Provider calls decided in a transaction, made once it has committed."""

    refund_ids: list[int] = field(default_factory=list)
    checkouts: list[tuple[str, str, int]] = field(default_factory=list)

    async def run(self, session: AsyncSession, settings: Settings, now: datetime) -> None:
        await close_checkouts(settings, self.checkouts)
        if self.refund_ids:
            await process_refunds(session, settings, now=now, ids=self.refund_ids)


async def settle_cancellation(session: AsyncSession, booking: Booking, *, fee: Decimal, now: datetime) -> AfterCommit:
    """The money side of cancelling (or, with fee 0, rejecting) a booking, in the caller's
    transaction and before its `change_status` (the e-mail reads these rows): a refund
    row for what was paid by card less the fee, a credit row for what will not be
    invoiced, open checkouts given up. Run the returned AfterCommit after commit."""
    paid_payments = await _paid(session, booking.id)
    _, refund, credit = _split(booking, Decimal(fee), sum((left for _, left in paid_payments), Decimal(0)))
    after = AfterCommit()
    for payment, refundable_amount in paid_payments:
        if refund <= 0:
            break
        row = await add_refund(session, payment, min(refund, refundable_amount), now, reason="cancellation")
        after.refund_ids.append(row.id)
        refund -= row.amount
    if credit > 0:
        await add_credit(session, booking, credit, now)
    after.checkouts = await give_up_open_payments(session, booking.id, now)
    return after


async def cancel_booking(
    session: AsyncSession,
    settings: Settings,
    booking_id: int,
    *,
    actor_id: int | None,
    reason: str,
    rules: HarmonisedRules,
    now: datetime,
    by_staff: bool = False,
) -> CancellationTerms:
    """Cancel with the fee the rules set; refund the rest (card) or credit it (invoice).
    Permission to cancel is the caller's to check (the booker, a delegate, or staff)."""
    async with write_transaction(session):
        booking = await locked_booking(session, booking_id)
        if booking.start_at <= now and not (by_staff and booking.end_at > now):
            raise InvalidTransition(
                "already_started",
                "Bestillingen har allerede begynt og kan ikke avbestilles.",
                "The booking has already started and cannot be cancelled.",
            )
        terms = await _terms(session, booking, rules, now, by_staff)
        after = await settle_cancellation(session, booking, fee=terms.fee, now=now)
        why = f"Begrunnelse: {reason.strip()}" if reason.strip() else ""
        await change_status(
            session,
            booking.id,
            Status.CANCELLED,
            actor_id=actor_id,
            reason=reason.strip(),
            record=f"{why} {terms.explanation_nb}".strip(),
            now=now,
            fee=terms.fee,
        )
    await after.run(session, settings, now)
    return terms
