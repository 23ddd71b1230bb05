"""The approval queue: requests for the premises a staff member's department owns, and
the decision. The decision is a call to `change_status`, whose history row carries
the reason to the booker (the outbox builds the e-mail from that state change); a
rejection first settles any payment."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, Building, Premises
from booking.domain.errors import FieldProblem, Forbidden, NotFound
from booking.domain.lifecycle import Status
from booking.services.bookings import change_status
from booking.services.cancellation import settle_cancellation
from booking.services.premises_admin import InvalidForm, StaffScope
from booking.settings import Settings

MAX_REASON = 2000


@dataclass(frozen=True)
class PendingRequest:
    booking: Booking
    why_approval: str  # the rules that sent it to the queue, from its first history row
    started: bool      # its start has passed without a decision


async def approval_queue(session: AsyncSession, scope: StaffScope, now: datetime) -> list[PendingRequest]:
    bookings = list((await session.execute(
        select(Booking).join(Premises, Premises.id == Booking.premises_id)
        .join(Building, Building.id == Premises.building_id)
        .where(Booking.status == Status.REQUESTED.value, scope.building_filter())
        .order_by(Booking.start_at, Booking.id)
    )).scalars().unique())
    reasons: dict[int, str] = {}
    if bookings:
        rows = (await session.execute(
            select(BookingHistory.booking_id, BookingHistory.reason)
            .where(BookingHistory.booking_id.in_([b.id for b in bookings]),
                   BookingHistory.to_status == Status.REQUESTED.value)
            .order_by(BookingHistory.id)
        )).all()
        for row in rows:
            reasons.setdefault(row.booking_id, row.reason)
    return [PendingRequest(b, reasons.get(b.id, ""), b.start_at <= now) for b in bookings]


async def decide(sessions: async_sessionmaker[AsyncSession], settings: Settings, scope: StaffScope,
                 booking_id: int, *, approve: bool, reason: str, now: datetime) -> Booking:
    """Approve (confirmed) or reject (rejected, a reason required) a request for premises
    this staff member manages. A rejection refunds in full whatever was paid."""
    reason = reason.strip()
    if not approve and not reason:
        raise InvalidForm([FieldProblem(f"begrunnelse-{booking_id}", "reason_required",
                                        "Skriv en begrunnelse for avslaget. Den sendes til den som bestilte.",
                                        "Give a reason for the rejection. It is sent to the person who booked.")])
    if len(reason) > MAX_REASON:
        raise InvalidForm([FieldProblem(f"begrunnelse-{booking_id}", "too_long",
                                        f"Begrunnelsen kan ha høyst {MAX_REASON} tegn.",
                                        f"The reason can be at most {MAX_REASON} characters.")])
    async with write_transaction(sessions) as session:
        booking = await session.get(Booking, booking_id)
        if booking is None:
            raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
        if not scope.manages(booking.premises.building.department_id):
            raise Forbidden("not_your_department",
                            f"{booking.premises.name} eies av en annen virksomhet; du kan ikke behandle bestillingen.",
                            "The premises belong to another department.")
        if approve:
            return await change_status(session, booking_id, Status.CONFIRMED, actor_id=scope.person_id,
                                       reason=reason, now=now)
        after = await settle_cancellation(session, booking, fee=Decimal(0), now=now)
        booking = await change_status(session, booking_id, Status.REJECTED, actor_id=scope.person_id,
                                      reason=reason, now=now)
    await after.run(sessions, settings, now)
    return booking
