"""Refunds and credits. A refund is first a row (state `created`), committed with the
decision that makes it; only then is the provider called, outside any transaction. A
call that fails leaves the row `failed` with its error, and `booking payments
retry-refunds` tries again; each call carries an idempotency key from the row's id, so
a retry never refunds twice. Staff see what is stuck (`payments_needing_attention`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Booking, Payment
from booking.payments import ProviderError, providers, states
from booking.payments.base import REFUND_DONE, REFUND_FAILED
from booking.settings import Settings

log = logging.getLogger("booking.payments")

INVOICE = "invoice"
STUCK_AFTER = timedelta(minutes=15)  # a refund `pending` without an answer this long is retried


def refund_key(refund_id: int) -> str:
    return f"lokaler-refund-{refund_id}"


async def refundable(session: AsyncSession, payment: Payment) -> Decimal:
    """What is left of a paid payment after the refunds already decided."""
    refunded = await session.scalar(
        select(_sum(Payment.amount)).where(
            Payment.refund_of == payment.id, Payment.kind == "refund", Payment.state != states.CANCELLED
        )
    )
    return Decimal(payment.amount) - Decimal(refunded or 0)


async def money(session: AsyncSession, booking: Booking) -> dict[str, Decimal]:
    """A booking's money, the one reading of its payment rows for mails, pages and
    invoices: paid by card, refunded, credited on the invoice, and the fee kept when it
    was cancelled (`booking.cancellation_fee`)."""
    rows = (await session.execute(select(Payment).where(Payment.booking_id == booking.id))).scalars().all()
    paid = sum(
        (
            p.amount
            for p in rows
            if p.kind == "payment" and p.provider != INVOICE and p.state in (states.PAID, states.REFUNDED)
        ),
        Decimal(0),
    )
    refunded = sum(
        (p.amount for p in rows if p.kind == "refund" and p.provider != INVOICE and p.state != states.CANCELLED),
        Decimal(0),
    )
    credited = sum(
        (p.amount for p in rows if p.kind == "refund" and p.provider == INVOICE and p.state != states.CANCELLED),
        Decimal(0),
    )
    fee = Decimal(booking.cancellation_fee or 0)  # kept on cancellation; nothing for any other booking
    return {"paid": paid, "refunded": refunded, "credited": credited, "fee": fee}


def _sum(column):
    return func.coalesce(func.sum(column), 0)


async def add_refund(
    session: AsyncSession, payment: Payment, amount: Decimal, now: datetime, *, reason: str = ""
) -> Payment:
    """Decide a refund of `amount` of a paid payment; the provider is called after commit."""
    amount = min(Decimal(amount), await refundable(session, payment))
    refund = Payment(
        booking_id=payment.booking_id,
        kind="refund",
        provider=payment.provider,
        state=states.CREATED,
        amount=amount,
        currency=payment.currency,
        refund_of=payment.id,
        attempts=0,
        last_error=None,
        created_at=now,
        updated_at=now,
        checkout_url=None,
        provider_ref=None,
    )
    session.add(refund)
    await session.flush()
    log.info("refund %s of payment %s decided: %s %s %s", refund.id, payment.id, amount, payment.currency, reason)
    return refund


async def add_credit(session: AsyncSession, booking: Booking, amount: Decimal, now: datetime) -> Payment:
    """An invoice booking's credit: the part of the price that will not be invoiced."""
    credit = Payment(
        booking_id=booking.id,
        kind="refund",
        provider=INVOICE,
        state=states.REFUNDED,
        amount=Decimal(amount),
        currency="NOK",
        refund_of=None,
        attempts=0,
        last_error=None,
        created_at=now,
        updated_at=now,
        checkout_url=None,
        provider_ref=None,
    )
    session.add(credit)
    await session.flush()
    return credit


async def refund_in_full(session: AsyncSession, payment: Payment, now: datetime, reason: str) -> Payment | None:
    left = await refundable(session, payment)
    return await add_refund(session, payment, left, now, reason=reason) if left > 0 else None


@dataclass
class RefundReport:
    refunded: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _due(now: datetime):
    return or_(
        Payment.state.in_([states.CREATED, states.FAILED]),
        (Payment.state == states.PENDING) & Payment.provider_ref.is_(None) & (Payment.updated_at <= now - STUCK_AFTER),
    )


async def _claim(session: AsyncSession, refund_id: int, now: datetime) -> tuple[Payment, Payment] | None:
    """Take a refund row (conditional UPDATE, so two runners never both call the provider
    with it at once), with the payment it refunds."""
    async with write_transaction(session):
        taken = (
            await session.execute(
                update(Payment)
                .where(Payment.id == refund_id, Payment.kind == "refund", Payment.provider != INVOICE, _due(now))
                .values(state=states.PENDING, attempts=Payment.attempts + 1, updated_at=now)
                .returning(Payment.id)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        if taken is None:
            return None
        refund = (
            await session.execute(
                select(Payment).where(Payment.id == refund_id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        original = await session.get(Payment, refund.refund_of)
        return refund, original


async def record_refund_state(
    session: AsyncSession, refund: Payment, state: str, *, reference: str | None, error: str | None, now: datetime
) -> bool:
    """Move a refund row (and, when the whole payment is refunded, the payment) on; False
    when the move is not allowed (a late or repeated answer), which changes nothing."""
    target = {REFUND_DONE: states.REFUNDED, REFUND_FAILED: states.FAILED}.get(state, states.PENDING)
    if refund.state == target or not states.allowed("refund", refund.state, target):
        if reference and not refund.provider_ref:
            refund.provider_ref = reference
        return False
    refund.state = target
    refund.provider_ref = reference or refund.provider_ref
    refund.last_error = error
    refund.updated_at = now
    if target == states.REFUNDED and refund.refund_of is not None:
        original = (
            await session.execute(select(Payment).where(Payment.id == refund.refund_of).with_for_update())
        ).scalar_one()
        done = await session.scalar(
            select(_sum(Payment.amount)).where(Payment.refund_of == original.id, Payment.state == states.REFUNDED)
        )
        if original.state == states.PAID and Decimal(done) >= Decimal(original.amount):
            original.state = states.REFUNDED
            original.updated_at = now
    return True


async def process_refunds(
    session: AsyncSession, settings: Settings, *, now: datetime, ids: list[int] | None = None
) -> RefundReport:
    """Call the provider for refunds that are decided but not done (all of them, or `ids`)."""
    report = RefundReport()
    query = select(Payment.id).where(Payment.kind == "refund", Payment.provider != INVOICE, _due(now))
    if ids is not None:
        query = query.where(Payment.id.in_(ids))
    candidates = list((await session.execute(query.order_by(Payment.id))).scalars())
    configured = providers(settings)
    for refund_id in candidates:
        claimed = await _claim(session, refund_id, now)
        if claimed is None:
            continue
        refund, original = claimed
        provider = configured.get(refund.provider)
        state, reference, error = REFUND_FAILED, None, None
        if provider is None:
            error = f"provider {refund.provider!r} is not configured"
        elif not original.provider_ref:
            error = "the payment has no provider reference to refund against"
        else:
            try:
                remote = await provider.refund(
                    original.provider_ref,
                    Decimal(refund.amount),
                    refund_id=refund.id,
                    idempotency_key=refund_key(refund.id),
                )
                state, reference, error = remote.state, remote.reference, remote.error
            except ProviderError as failure:
                error = f"{type(failure).__name__}: {failure}"
        async with write_transaction(session):
            row = (await session.execute(select(Payment).where(Payment.id == refund.id).with_for_update())).scalar_one()
            await record_refund_state(session, row, state, reference=reference, error=error, now=now)
            final = row.state
        if final == states.REFUNDED:
            report.refunded.append(refund.id)
        elif final == states.FAILED:
            log.warning("refund %s failed: %s", refund.id, error)
            report.failed.append(refund.id)
        else:
            report.pending.append(refund.id)
    return report


async def payments_needing_attention(session: AsyncSession, now: datetime) -> list[Payment]:
    """For staff: refunds not done (failed, or decided and not yet through), and payments
    whose provider answer did not add up (amount or currency), oldest first."""
    return list(
        (
            await session.execute(
                select(Payment)
                .where(
                    or_(
                        (Payment.kind == "refund") & Payment.state.in_([states.CREATED, states.FAILED]),
                        (Payment.kind == "refund")
                        & (Payment.state == states.PENDING)
                        & (Payment.updated_at <= now - STUCK_AFTER),
                        (Payment.kind == "payment") & Payment.last_error.is_not(None) & (Payment.state != states.PAID),
                    )
                )
                .order_by(Payment.created_at, Payment.id)
            )
        ).scalars()
    )


async def payments_of(session: AsyncSession, booking_id: int) -> list[Payment]:
    """A booking's payments, refunds and credits, in the order they were made."""
    return list(
        (await session.execute(select(Payment).where(Payment.booking_id == booking_id).order_by(Payment.id))).scalars()
    )
