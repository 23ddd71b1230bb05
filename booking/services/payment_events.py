"""What the provider says, applied: the webhook (a trigger; the payment is fetched from
the provider), the return from checkout, and `booking payments reconcile` for webhooks
that never came. All three fetch the payment and hand it to `apply_remote_payment`, the
one place a payment moves. A payment row (with the other rows of its checkout) moves by
allowed transitions only, locked; when the money is in, each booking it pays for is
confirmed, taken back from an expired hold if its slot is still free, or its part of the
money is refunded and the booker told."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking import notify
from booking.db.engine import end_reads, write_transaction
from booking.db.models import Booking, Payment, WebhookEvent
from booking.domain.errors import NotFound
from booking.domain.lifecycle import SLOT_HOLDING, Status
from booking.payments import PaymentProvider, ProviderError, ProviderRefused, RemotePayment, providers, states
from booking.payments.base import REMOTE_CANCELLED, REMOTE_FAILED, REMOTE_PAID, REMOTE_PENDING
from booking.services.bookings import change_status, locked_booking
from booking.services.late_payment import revive
from booking.services.payments import checkout_rows, paid_status
from booking.services.refunds import process_refunds, record_refund_state, refund_in_full
from booking.settings import Settings

log = logging.getLogger("booking.payments")


@dataclass
class Settlement:
    outcome: str  # confirmed | refunded | partly_refunded | unchanged | failed | cancelled | pending | unknown
    #               | mismatch | unavailable
    booking_id: int | None = None
    refund_ids: list[int] = field(default_factory=list)


async def _use(session: AsyncSession, booking: Booking, payment: Payment, now: datetime) -> tuple[str, str | None]:
    """What the money in `payment` does for its booking: ("confirmed" | "unchanged", None)
    when it is kept, ("refunded", why) when it must go back."""
    target, codes = await paid_status(session, booking.id)
    if booking.status == Status.HELD.value and booking.payment_method == "card":
        await change_status(
            session, booking.id, target, actor_id=None, reason="Betalt med kort.", now=now, reason_codes=codes
        )
        return "confirmed", None
    if booking.status == Status.EXPIRED.value and booking.payment_method == "card":
        refusal = await revive(session, booking, target, now, reason_codes=codes)
        if refusal is None:
            return "confirmed", None
        log.info("late payment %s for booking %s refunded: %s", payment.id, booking.id, refusal.code)
        return "refunded", "slot_taken" if refusal.code == "conflict" else "refused"
    others = await session.scalar(
        select(Payment.id)
        .where(
            Payment.booking_id == booking.id,
            Payment.kind == "payment",
            Payment.id != payment.id,
            Payment.state == states.PAID,
        )
        .limit(1)
    )
    if booking.status in {s.value for s in SLOT_HOLDING} and booking.payment_method == "card" and others is None:
        return "unchanged", None
    return "refunded", "not_needed"


async def _settle(session: AsyncSession, payments: list[Payment], now: datetime) -> Settlement:
    """The money is in for these rows (one checkout): confirm what each pays for, or
    refund its part. A single booking gets its receipt (or the refund mail); a weekly
    series one summary that says which dates are confirmed and which refunded."""
    kept: list[tuple[Booking, Payment]] = []
    refunded: list[tuple[Booking, Payment, str]] = []
    outcomes, refund_ids = set(), []
    for payment in payments:
        booking = await locked_booking(session, payment.booking_id)
        outcome, why = await _use(session, booking, payment, now)
        outcomes.add(outcome)
        if why is None:
            kept.append((booking, payment))
            continue
        refund = await refund_in_full(session, payment, now, reason=why)
        refund_ids += [refund.id] if refund else []
        refunded.append((booking, payment, why))
    first = (kept or refunded)[0][0]
    if first.series_id is not None:
        await notify.series_paid(session, first.series_id, payments[0], kept, refunded, now)
    elif kept:
        await notify.payment_receipt(session, *kept[0], now)
    else:
        await notify.payment_refunded(session, *refunded[0], now)
    if refunded:
        return Settlement("partly_refunded" if kept else "refunded", first.id, refund_ids)
    return Settlement("confirmed" if "confirmed" in outcomes else "unchanged", first.id, refund_ids)


async def apply_remote_payment(
    session: AsyncSession, provider: PaymentProvider, remote: RemotePayment, now: datetime
) -> Settlement:
    """Bring our payment rows (all the rows of one checkout) to what the provider says,
    by allowed transitions only. The rows are locked; paid (or refunded) rows are left alone."""
    query = select(Payment).where(Payment.kind == "payment", Payment.provider == provider.name)
    if remote.payment_id is not None:
        query = query.where(Payment.id == remote.payment_id)
    else:
        query = query.where(Payment.provider_ref == remote.reference, Payment.part_of.is_(None))
    payment = (await session.execute(query.with_for_update())).scalar_one_or_none()
    if payment is None:
        log.warning("%s payment %s (ours: %s) is not one of ours", provider.name, remote.reference, remote.payment_id)
        return Settlement("unknown")
    rows = await checkout_rows(session, payment)
    lead = rows[0]
    if remote.state == REMOTE_PAID:
        if any(row.state in (states.PAID, states.REFUNDED) for row in rows):
            return Settlement("unchanged", lead.booking_id)
        expected = sum((Decimal(row.amount) for row in rows), Decimal(0))
        if remote.amount != expected or remote.currency.upper() != lead.currency.upper():
            lead.last_error = (
                f"amount mismatch: provider says {remote.amount} {remote.currency}, "
                f"we expected {expected} {lead.currency}"
            )
            lead.updated_at = now
            log.error("payment %s: %s", lead.id, lead.last_error)
            return Settlement("mismatch", lead.booking_id)
        for row in rows:
            row.state = states.advance("payment", row.state, states.PAID)
            row.provider_ref = remote.reference
            row.last_error = None
            row.updated_at = now
        return await _settle(session, rows, now)
    target = {REMOTE_FAILED: states.FAILED, REMOTE_CANCELLED: states.CANCELLED, REMOTE_PENDING: states.PENDING}[
        remote.state
    ]
    if lead.state == target or not states.allowed("payment", lead.state, target):
        return Settlement("unchanged", lead.booking_id)  # a late or repeated event
    for row in rows:
        if states.allowed("payment", row.state, target):
            row.state = target
            row.last_error = remote.error if target == states.FAILED else row.last_error
            row.updated_at = now
    return Settlement({states.FAILED: "failed", states.CANCELLED: "cancelled"}.get(target, "pending"), lead.booking_id)


async def handle_webhook(
    session: AsyncSession,
    settings: Settings,
    provider_name: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: datetime,
) -> str:
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
    if await session.scalar(
        select(WebhookEvent.id).where(WebhookEvent.provider == provider.name, WebhookEvent.event_id == event.event_id)
    ):
        return "duplicate"
    await end_reads(session)  # no transaction is held while the provider answers
    try:
        remote = await (provider.fetch_payment if event.subject == "payment" else provider.fetch_refund)(
            event.object_id
        )
    except ProviderRefused as error:  # e.g. the object does not exist: not ours; do not ask for retries
        log.warning("%s event %s: cannot fetch %s: %s", provider.name, event.event_id, event.object_id, error)
        remote = None
    settlement = Settlement("unknown")
    try:
        async with write_transaction(session):
            session.add(WebhookEvent(provider=provider.name, event_id=event.event_id, type=event.type, received_at=now))
            await session.flush()
            if remote is not None and event.subject == "payment":
                settlement = await apply_remote_payment(session, provider, remote, now)
            elif remote is not None:
                settlement = await _apply_remote_refund(session, provider, remote, now)
    except IntegrityError:
        return "duplicate"  # recorded by a delivery that ran at the same moment
    if settlement.refund_ids:
        await process_refunds(session, settings, now=now, ids=settlement.refund_ids)
    return settlement.outcome


async def _apply_remote_refund(session: AsyncSession, provider: PaymentProvider, remote, now: datetime) -> Settlement:
    query = select(Payment).where(Payment.kind == "refund", Payment.provider == provider.name)
    query = (
        query.where(Payment.id == remote.refund_id)
        if remote.refund_id is not None
        else query.where(Payment.provider_ref == remote.reference)
    )
    refund = (await session.execute(query.with_for_update())).scalar_one_or_none()
    if refund is None:
        return Settlement("unknown")
    changed = await record_refund_state(
        session, refund, remote.state, reference=remote.reference, error=remote.error, now=now
    )
    return Settlement(refund.state if changed else "unchanged", refund.booking_id)


async def _refetch(
    session: AsyncSession, settings: Settings, payments: list[Payment], now: datetime
) -> list[Settlement]:
    """Ask the provider about each checkout now and apply the answer, as the webhook
    would. A provider that does not answer leaves the payment for the next try."""
    configured = providers(settings)
    settlements, refunds, done = [], [], set()
    await end_reads(session)  # no transaction is held while the provider answers
    for payment in payments:
        lead_id = payment.part_of or payment.id
        provider = configured.get(payment.provider)
        if provider is None or lead_id in done:
            continue
        done.add(lead_id)
        try:
            remote = await provider.fetch_payment(payment.provider_ref)
        except ProviderError as error:
            log.warning("payment %s: cannot fetch %s from %s: %s", lead_id, payment.provider_ref, provider.name, error)
            settlements.append(Settlement("unavailable", payment.booking_id))
            continue
        if remote.payment_id is None:
            remote = dataclasses.replace(remote, payment_id=lead_id)
        async with write_transaction(session):
            settlement = await apply_remote_payment(session, provider, remote, now)
        settlements.append(settlement)
        refunds += settlement.refund_ids
    if refunds:
        await process_refunds(session, settings, now=now, ids=refunds)
    return settlements


def _open_card_payments():
    return select(Payment).where(
        Payment.kind == "payment",
        Payment.provider_ref.is_not(None),
        Payment.state.in_([*states.OPEN_PAYMENT, states.FAILED]),
    )


async def refresh_payment(session: AsyncSession, settings: Settings, booking_id: int, *, now: datetime) -> Booking:
    """On the return from checkout: ask the provider now rather than wait for its
    webhook, so the booker sees the confirmation at once. Safe to repeat."""
    payments = list(
        (
            await session.execute(_open_card_payments().where(Payment.booking_id == booking_id).order_by(Payment.id))
        ).scalars()
    )
    await _refetch(session, settings, payments, now)
    return (
        await session.execute(select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True))
    ).scalar_one()


async def reconcile_payments(
    session: AsyncSession, settings: Settings, *, now: datetime, older_than: timedelta
) -> Counter:
    """`booking payments reconcile`: card payments still open after `older_than` (younger
    ones are left to the webhook and the return page) are
    fetched from the provider and applied as their webhook would have been, so a webhook
    lost entirely still ends in the right state. What the webhook already did is found
    done and left alone, so this and the webhook never change anything twice, and it is
    safe to run on several machines at once (the rows are locked while applied).
    Returns how many checkouts ended how (Settlement.outcome)."""
    payments = list(
        (
            await session.execute(
                _open_card_payments()
                .where(Payment.part_of.is_(None), Payment.created_at <= now - older_than)
                .order_by(Payment.id)
            )
        ).scalars()
    )
    return Counter(s.outcome for s in await _refetch(session, settings, payments, now))
