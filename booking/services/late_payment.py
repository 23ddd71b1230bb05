"""A payment that arrives after its hold expired: the same booking takes its slot again
if the slot is still free, or the caller refunds the money. The slot is checked and
claimed by the booking engine's own steps (booking.services.bookings): `read_situation`,
the pure slot checks of `decide` (`check_request`, `free_slot`) and `write_claims`, so
the conflict re-check inside the write transaction (SQLite serialises writers) and the
exclusion constraint on slot_claim (PostgreSQL) make a booking made at the same moment
make this one lose cleanly instead of double-booking. The lending rules are not asked
again: the booking was decided and priced when it was made."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, Premises
from booking.domain.availability import check_request
from booking.domain.errors import Collision, Conflict, DomainError
from booking.domain.intervals import Interval
from booking.domain.lifecycle import Status, late_payment_transition
from booking.services.bookings import change_status, free_slot, read_situation, write_claims

REASON = "Betalt etter at reservasjonen utløp; tiden var fortsatt ledig."


async def _claim_slot(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """Check the slot as the engine does and claim it; a refusal raises its DomainError."""
    if booking.start_at <= now:
        raise DomainError("already_started", "Tiden har allerede begynt.", "The booked time has already begun.")
    wanted = Interval(booking.start_at, booking.end_at)
    situation = await read_situation(
        session, booking.premises.slug, booking.person_id, booking.organisation_id, wanted, now
    )
    check_request(situation.structure, wanted, situation.closures)
    claim, frees_expired = free_slot(situation, wanted)
    await write_claims(session, [(booking.id, situation.structure.units, claim)], frees_expired=frees_expired, now=now)


async def revive(
    session: AsyncSession, booking: Booking, target: Status, now: datetime, *, reason_codes: Sequence[str] = ()
) -> DomainError | None:
    """Bring an expired, paid-for booking back as `target` (confirmed, or requested when
    the rules asked for approval: `reason_codes`, their criteria), with its slot claims, a
    history row and the mail the change sends. Returns the refusal instead when the slot is no longer to be had;
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
    await change_status(
        session,
        booking.id,
        target,
        actor_id=None,
        reason=REASON,
        now=now,
        reason_codes=reason_codes,
        allowed=late_payment_transition,
    )
    return None
