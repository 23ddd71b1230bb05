"""What staff see of money: payments and refunds that need a person, and the invoice
status of each invoice booking in the premises they manage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, Building, Payment, Premises
from booking.domain.lifecycle import SLOT_HOLDING
from booking.services.invoices import InvoiceStatus, invoice_status
from booking.services.premises_admin import StaffScope
from booking.services.refunds import payments_needing_attention


@dataclass(frozen=True)
class InvoiceRow:
    booking: Booking
    status: InvoiceStatus


@dataclass(frozen=True)
class Overview:
    attention: list[tuple[Payment, Booking]]
    invoices: list[InvoiceRow]


async def overview(session: AsyncSession, scope: StaffScope, now: datetime) -> Overview:
    managed = (
        select(Booking)
        .join(Premises, Premises.id == Booking.premises_id)
        .join(Building, Building.id == Premises.building_id)
        .where(scope.building_filter())
    )
    attention = []
    for payment in await payments_needing_attention(session, now):
        booking = (await session.execute(managed.where(Booking.id == payment.booking_id))).scalars().first()
        if booking is not None:
            attention.append((payment, booking))
    invoiced = (
        (
            await session.execute(
                managed.where(
                    Booking.payment_method == "invoice",
                    Booking.status.in_([s.value for s in SLOT_HOLDING] + ["cancelled"]),
                )
                .order_by(Booking.start_at.desc())
                .limit(200)
            )
        )
        .scalars()
        .unique()
    )
    rows = []
    for booking in invoiced:
        status = await invoice_status(session, booking.id)
        if status is not None:
            rows.append(InvoiceRow(booking, status))
    return Overview(attention, rows)
