"""What the provider says, applied: the webhook (a trigger; the payment is fetched from
the provider), and the return from checkout. A payment row moves by allowed transitions
only, locked; when the money is in, the booking it pays for is confirmed, booked again
through the engine if its hold expired and the slot is still free, or the money is
refunded in full and the booker told."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from datetime import datetime
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import pricing
from booking import notify
from booking.db.engine import write_transaction
from booking.db.models import Booking, Payment, Premises, WebhookEvent
from booking.domain.errors import Conflict, DomainError, NotFound
from booking.domain.lifecycle import SLOT_HOLDING, Status
from booking.payments import PaymentProvider, ProviderRefused, RemotePayment, providers
from booking.payments import states
from booking.payments.base import REMOTE_CANCELLED, REMOTE_FAILED, REMOTE_PAID, REMOTE_PENDING
from booking.services.bookings import NewBooking, change_status, place_booking
from booking.services.lending import Details, LendingRules
from booking.services.payments import locked_booking, needed_approval
from booking.services.refunds import process_refunds, record_refund_state, refund_in_full
from booking.settings import Settings

log = logging.getLogger("booking.payments")

@dataclass
class Settlement:
    outcome: str  # confirmed | replaced | refunded | unchanged | failed | cancelled | pending | unknown | mismatch
    booking_id: int | None = None
    refund_ids: list[int] = field(default_factory=list)


async def _replace(session: AsyncSession, old: Booking, payment: Payment, rules: LendingRules,
                   now: datetime) -> tuple[Booking | None, DomainError | None]:
    """The hold expired before the money came: make the booking again through the engine
    (every rule and the conflict check apply), at the price the booker paid."""
    premises = await session.get(Premises, old.premises_id)
    new = NewBooking(premises.slug, old.start_at, old.end_at, old.person_id, old.organisation_id,
                     Details(old.purpose, old.attendees, old.target_group, old.alcohol),
                     idempotency_key=f"payment-{payment.id}", series_id=old.series_id, payment_method="card")
    try:
        async with session.begin_nested():
            placed = await place_booking(session, new, rules, now)
            placed.price_snapshot, placed.price_total = old.price_snapshot, old.price_total
            placed.payment_method, placed.caretaker_notes = "card", old.caretaker_notes
            await session.flush()
    except (DomainError, pricing.PricingError) as error:
        return None, error if isinstance(error, DomainError) else DomainError(error.code, error.message_nb,
                                                                               error.message_en)
    except IntegrityError:
        return None, Conflict([])  # lost to a booking committed at the same moment
    return placed, None


async def _settle(session: AsyncSession, payment: Payment, rules: LendingRules, now: datetime) -> Settlement:
    """The money is in (the payment row is paid): confirm what it pays for, or refund it."""
    booking = await locked_booking(session, payment.booking_id)
    if booking.status == Status.HELD.value and booking.payment_method == "card":
        target = Status.REQUESTED if await needed_approval(session, booking.id) else Status.CONFIRMED
        await change_status(session, booking.id, target, actor_id=None, reason="Betalt med kort.", now=now)
        await notify.payment_receipt(session, booking, payment, now)
        return Settlement("confirmed", booking.id)
    if booking.status == Status.EXPIRED.value and booking.payment_method == "card":
        placed, refusal = await _replace(session, booking, payment, rules, now)
        if placed is not None:
            payment.booking_id = placed.id
            if placed.status == Status.HELD.value:
                target = Status.REQUESTED if await needed_approval(session, placed.id) else Status.CONFIRMED
                await change_status(session, placed.id, target, actor_id=None,
                                    reason=f"Betalt etter at reservasjonen (bestilling {booking.id}) utløp.", now=now)
            await notify.payment_receipt(session, placed, payment, now)
            return Settlement("replaced", placed.id)
        why = "slot_taken" if refusal.code == "conflict" else "refused"
        log.info("late payment %s for booking %s refunded: %s", payment.id, booking.id, refusal.code)
    else:
        others = await session.scalar(select(Payment.id).where(
            Payment.booking_id == booking.id, Payment.kind == "payment", Payment.id != payment.id,
            Payment.state == states.PAID).limit(1))
        if booking.status in {s.value for s in SLOT_HOLDING} and booking.payment_method == "card" and others is None:
            await notify.payment_receipt(session, booking, payment, now)
            return Settlement("unchanged", booking.id)
        why = "not_needed"
    refund = await refund_in_full(session, payment, now, reason=why)
    await notify.payment_refunded(session, booking, payment, why, now)
    return Settlement("refunded", booking.id, [refund.id] if refund else [])


async def apply_remote_payment(session: AsyncSession, provider: PaymentProvider, remote: RemotePayment,
                               rules: LendingRules, now: datetime) -> Settlement:
    """Bring our payment row to what the provider says, by allowed transitions only.
    The row is locked; a payment already paid (or refunded) is left alone."""
    query = select(Payment).where(Payment.kind == "payment", Payment.provider == provider.name)
    if remote.payment_id is not None:
        query = query.where(Payment.id == remote.payment_id)
    else:
        query = query.where(Payment.provider_ref == remote.reference)
    payment = (await session.execute(query.with_for_update())).scalar_one_or_none()
    if payment is None:
        log.warning("%s payment %s (ours: %s) is not one of ours", provider.name, remote.reference, remote.payment_id)
        return Settlement("unknown")
    if remote.state == REMOTE_PAID:
        if payment.state in (states.PAID, states.REFUNDED):
            return Settlement("unchanged", payment.booking_id)
        if remote.amount != Decimal(payment.amount) or remote.currency.upper() != payment.currency.upper():
            payment.last_error = (f"amount mismatch: provider says {remote.amount} {remote.currency}, "
                                  f"we expected {payment.amount} {payment.currency}")
            payment.updated_at = now
            log.error("payment %s: %s", payment.id, payment.last_error)
            return Settlement("mismatch", payment.booking_id)
        payment.state = states.advance("payment", payment.state, states.PAID)
        payment.provider_ref = remote.reference
        payment.last_error = None
        payment.updated_at = now
        return await _settle(session, payment, rules, now)
    target = {REMOTE_FAILED: states.FAILED, REMOTE_CANCELLED: states.CANCELLED,
              REMOTE_PENDING: states.PENDING}[remote.state]
    if payment.state == target or not states.allowed("payment", payment.state, target):
        return Settlement("unchanged", payment.booking_id)  # a late or repeated event
    payment.state = target
    payment.last_error = remote.error if target == states.FAILED else payment.last_error
    payment.updated_at = now
    return Settlement({states.FAILED: "failed", states.CANCELLED: "cancelled"}.get(target, "pending"),
                      payment.booking_id)


async def handle_webhook(sessions: async_sessionmaker[AsyncSession], settings: Settings, provider_name: str,
                         body: bytes, headers: Mapping[str, str], *, rules: LendingRules, now: datetime) -> str:
    """One webhook delivery. Raises BadSignature (answer 400), ProviderUnavailable or a
    database error (answer 5xx, the provider retries); otherwise says what it did.
    The event is recorded in the transaction that applies it, so a replay, or the same
    event arriving twice at once, changes nothing twice."""
    provider = providers(settings).get(provider_name)
    if provider is None:
        raise NotFound("unknown_provider", "Ukjent betalingsleverandør.", f"No payment provider {provider_name!r}.")
    event = provider.parse_event(body, headers)
    if event.subject == "ignored" or not event.object_id:
        return "ignored"
    async with sessions() as session:
        if await session.scalar(select(WebhookEvent.id).where(WebhookEvent.provider == provider.name,
                                                               WebhookEvent.event_id == event.event_id)):
            return "duplicate"
    try:
        remote = await (provider.fetch_payment if event.subject == "payment" else provider.fetch_refund)(
            event.object_id)
    except ProviderRefused as error:  # e.g. the object does not exist: not ours; do not ask for retries
        log.warning("%s event %s: cannot fetch %s: %s", provider.name, event.event_id, event.object_id, error)
        remote = None
    settlement = Settlement("unknown")
    try:
        async with write_transaction(sessions) as session:
            session.add(WebhookEvent(provider=provider.name, event_id=event.event_id, type=event.type,
                                     received_at=now))
            await session.flush()
            if remote is not None and event.subject == "payment":
                settlement = await apply_remote_payment(session, provider, remote, rules, now)
            elif remote is not None:
                settlement = await _apply_remote_refund(session, provider, remote, now)
    except IntegrityError:
        return "duplicate"  # recorded by a delivery that ran at the same moment
    if settlement.refund_ids:
        await process_refunds(sessions, settings, now=now, ids=settlement.refund_ids)
    return settlement.outcome


async def _apply_remote_refund(session: AsyncSession, provider: PaymentProvider, remote, now: datetime) -> Settlement:
    query = select(Payment).where(Payment.kind == "refund", Payment.provider == provider.name)
    query = query.where(Payment.id == remote.refund_id) if remote.refund_id is not None \
        else query.where(Payment.provider_ref == remote.reference)
    refund = (await session.execute(query.with_for_update())).scalar_one_or_none()
    if refund is None:
        return Settlement("unknown")
    changed = await record_refund_state(session, refund, remote.state, reference=remote.reference,
                                        error=remote.error, now=now)
    return Settlement(refund.state if changed else "unchanged", refund.booking_id)


async def refresh_payment(sessions: async_sessionmaker[AsyncSession], settings: Settings, booking_id: int, *,
                          rules: LendingRules, now: datetime) -> Booking:
    """On the return from checkout: ask the provider now rather than wait for its
    webhook, so the booker sees the confirmation at once. Safe to repeat."""
    async with sessions() as session:
        open_payments = list((await session.execute(select(Payment).where(
            Payment.booking_id == booking_id, Payment.kind == "payment", Payment.provider_ref.is_not(None),
            Payment.state.in_([*states.OPEN_PAYMENT, states.FAILED])))).scalars())
    configured = providers(settings)
    refunds: list[int] = []
    for payment in open_payments:
        provider = configured.get(payment.provider)
        if provider is None:
            continue
        remote = await provider.fetch_payment(payment.provider_ref)
        if remote.payment_id is None:
            remote = RemotePayment(payment.id, remote.reference, remote.state, remote.amount, remote.currency,
                                   remote.error)
        async with write_transaction(sessions) as session:
            refunds += (await apply_remote_payment(session, provider, remote, rules, now)).refund_ids
    if refunds:
        await process_refunds(sessions, settings, now=now, ids=refunds)
    async with sessions() as session:
        moved = await session.scalar(select(Payment.booking_id).where(
            Payment.id.in_([p.id for p in open_payments]), Payment.booking_id != booking_id).limit(1))
        return (await session.execute(select(Booking).where(Booking.id == (moved or booking_id))
                                      .execution_options(populate_existing=True))).scalar_one()
