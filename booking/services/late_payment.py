"""A payment that arrives after its hold expired: the same booking takes its slot again
if the slot is still free, or the caller refunds the money. The slot is checked and
claimed the way the booking engine does it (booking.services.bookings.place_booking):
the conflict re-check inside the write transaction (SQLite serialises writers) and the
exclusion constraint on slot_claim (PostgreSQL), so a booking made at the same moment
makes this one lose cleanly instead of double-booking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking import notify
from booking.db.models import Booking, BookingHistory, Premises
from booking.domain.availability import check_request
from booking.domain.errors import Collision, Conflict, DomainError
from booking.domain.intervals import Interval
from booking.domain.lifecycle import Status, late_payment_transition
from booking.services.bookings import free_claim, insert_claims
from booking.services.catalogue import closures_for, premises_with_family, rules_of

REASON = "Betalt etter at reservasjonen utløp; tiden var fortsatt ledig."


async def _claim_slot(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """Check the slot as the engine does and claim it; a refusal raises its DomainError."""
    if booking.start_at <= now:
        raise DomainError("already_started", "Tiden har allerede begynt.", "The booked time has already begun.")
    premises, fam = await premises_with_family(session, booking.premises.slug)
    structure = rules_of(premises, fam.units)
    wanted = Interval(booking.start_at, booking.end_at)
    check_request(structure, wanted, await closures_for(session, premises, fam, wanted))
    await insert_claims(session, booking.id, structure.units, await free_claim(session, structure, wanted, now))


async def revive(session: AsyncSession, booking: Booking, target: Status, now: datetime) -> DomainError | None:
    """Bring an expired, paid-for booking back as `target` (confirmed, or requested when
    the rules asked for approval), with its slot claims, a history row and the mail the
    change sends. Returns the refusal instead when the slot is no longer to be had;
    then nothing of this has been written."""
    late_payment_transition(Status(booking.status), target)
    try:
        async with session.begin_nested():
            await _claim_slot(session, booking, now)
    except DomainError as refusal:
        return refusal
    except IntegrityError:  # PostgreSQL: a booking committed at the same moment took the slot
        premises = await session.get(Premises, booking.premises_id)
        return Conflict([Collision("booking", premises.name, booking.start_at, booking.end_at)])
    before = Status(booking.status)
    booking.status = target.value
    booking.updated_at = now
    booking.sequence += 1
    session.add(
        BookingHistory(
            booking_id=booking.id,
            at=now,
            actor_id=None,
            from_status=before.value,
            to_status=target.value,
            reason=REASON,
        )
    )
    await notify.booking_changed(session, booking, before, target, reason=REASON, now=now)
    return None
