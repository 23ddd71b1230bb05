"""A payment that arrives after its hold expired: the same booking takes its slot again
if the slot is still free, or the caller refunds the money. The slot is checked and
claimed the way the booking engine does it (booking.services.bookings.place_booking):
the conflict re-check inside the write transaction (SQLite serialises writers) and the
exclusion constraint on slot_claim (PostgreSQL), so a booking made at the same moment
makes this one lose cleanly instead of double-booking."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking import notify
from booking.db.models import Booking, BookingHistory, Premises, SlotClaim
from booking.domain.availability import check_request, conflicts, occupied
from booking.domain.errors import Collision, Conflict, DomainError
from booking.domain.intervals import Interval
from booking.domain.lifecycle import Status, late_payment_transition
from booking.services.bookings import release_expired_holds
from booking.services.catalogue import closures_for, families, rules_of, taken_slots

REASON = "Betalt etter at reservasjonen utløp; tiden var fortsatt ledig."


async def _claim_slot(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """Check the slot as the engine does and claim it; a refusal raises its DomainError."""
    if booking.start_at <= now:
        raise DomainError("already_started", "Tiden har allerede begynt.", "The booked time has already begun.")
    premises = await session.get(Premises, booking.premises_id)
    fam = (await families(session, {premises.building_id}))[premises.id]
    structure = rules_of(premises, fam.units)
    wanted = Interval(booking.start_at, booking.end_at)
    check_request(structure, wanted, await closures_for(session, premises, fam, wanted))
    claim = occupied(structure, wanted)
    slots = await taken_slots(session, fam.units, claim, now=now, with_expired=True)
    if any(slot.expired for slot in slots):  # other holds past their expiry give way, as in the engine
        await release_expired_holds(session, now, fam.units)
    taken = [slot for slot in slots if not slot.expired]
    hits = conflicts(structure, wanted, [t.interval for t in taken])
    if hits:
        raise Conflict([Collision("booking", t.premises_name, t.interval.start, t.interval.end,
                                  f"booking:{t.booking_id}") for t in taken if t.interval in hits])
    await session.execute(insert(SlotClaim), [
        {"booking_id": booking.id, "unit_id": unit, "busy_from": claim.start, "busy_to": claim.end}
        for unit in sorted(fam.units)
    ])


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
    session.add(BookingHistory(booking_id=booking.id, at=now, actor_id=None, from_status=before.value,
                               to_status=target.value, reason=REASON))
    await notify.booking_changed(session, booking, before, target, reason=REASON, now=now)
    return None
