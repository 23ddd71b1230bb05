"""The approval queue: requests for the premises a staff member's department owns, and
the decision, the one use case the staff pages and the JSON API both call (`decide`,
`decide_series`). A weekly series' waiting dates are one entry, decided together or a
date at a time. Every decision is `change_status` per date, allowed only from requested
(`decision_transition`), whose history row carries the reason to the booker; a
rejection first settles any payment. A single booking's mail comes from its state
change; a series' decision is one summary mail (series_mail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, BookingSeries, Building, Premises
from booking.domain.errors import FieldProblem, Forbidden, InvalidTransition, NotFound
from booking.domain.lifecycle import Status, decision_transition
from booking.domain.recurrence import WeeklyPattern
from booking.notify.series_mail import series_decided, weekly
from booking.services.bookings import change_status, locked_booking
from booking.services.cancellation import AfterCommit, settle_cancellation
from booking.services.premises_admin import InvalidForm, StaffScope
from booking.settings import Settings

MAX_REASON = 2000


@dataclass(frozen=True)
class PendingRequest:
    booking: Booking
    why_approval: str  # the rules that sent it to the queue, from its first history row
    started: bool  # its start has passed without a decision
    why_codes: tuple[str, ...] | None = None  # the same as the criteria's codes (rows written since 0011)


@dataclass(frozen=True)
class QueueEntry:
    """One request, or the waiting dates of one weekly series (`series` set), in date order."""

    requests: tuple[PendingRequest, ...]
    series: BookingSeries | None = None

    @property
    def key(self) -> str:
        """Unique on the page: for element ids and the reasons shown."""
        return f"s{self.series.id}" if self.series else f"b{self.first.id}"

    @property
    def first(self) -> Booking:
        return self.requests[0].booking

    @property
    def last(self) -> Booking:
        return self.requests[-1].booking

    @property
    def total(self) -> Decimal:
        return sum((Decimal(r.booking.price_total or 0) for r in self.requests), Decimal(0))

    @property
    def started(self) -> bool:
        return any(r.started for r in self.requests)

    @property
    def weekly(self) -> tuple[str, str]:
        """The series' weekday and time, as (Norwegian, English)."""
        pattern = WeeklyPattern.from_data(self.series.pattern)
        return weekly(pattern, "nb"), weekly(pattern, "en")


async def approval_queue(session: AsyncSession, scope: StaffScope, now: datetime) -> list[QueueEntry]:
    """The requests this scope decides, by first date; a series' waiting dates as one entry."""
    bookings = list(
        (
            await session.execute(
                select(Booking)
                .join(Premises, Premises.id == Booking.premises_id)
                .join(Building, Building.id == Premises.building_id)
                .where(Booking.status == Status.REQUESTED.value, scope.building_filter())
                .order_by(Booking.start_at, Booking.id)
            )
        )
        .scalars()
        .unique()
    )
    reasons: dict[int, tuple[str, tuple[str, ...] | None]] = {}
    series: dict[int, BookingSeries] = {}
    if bookings:
        rows = (
            await session.execute(
                select(BookingHistory.booking_id, BookingHistory.reason, BookingHistory.reason_codes)
                .where(
                    BookingHistory.booking_id.in_([b.id for b in bookings]),
                    BookingHistory.to_status == Status.REQUESTED.value,
                )
                .order_by(BookingHistory.id)
            )
        ).all()
        for row in rows:
            reasons.setdefault(row.booking_id, (row.reason, tuple(row.reason_codes) if row.reason_codes else None))
        series_ids = {b.series_id for b in bookings if b.series_id is not None}
        if series_ids:
            series = {
                s.id: s
                for s in (
                    await session.execute(select(BookingSeries).where(BookingSeries.id.in_(series_ids)))
                ).scalars()
            }
    entries: dict[tuple[str, int], list[PendingRequest]] = {}  # in the order of each entry's first date
    for booking in bookings:
        key = ("series", booking.series_id) if booking.series_id is not None else ("booking", booking.id)
        why, codes = reasons.get(booking.id, ("", None))
        pending = PendingRequest(booking, why, booking.start_at <= now, codes)
        entries.setdefault(key, []).append(pending)
    return [
        QueueEntry(tuple(requests), series.get(key[1]) if key[0] == "series" else None)
        for key, requests in entries.items()
    ]


def _checked_reason(reason: str, *, approve: bool) -> str:
    """The reason, trimmed; a rejection needs one. A problem names the field `reason`."""
    reason = reason.strip()
    if not approve and not reason:
        raise InvalidForm(
            [
                FieldProblem(
                    "reason",
                    "reason_required",
                    "Skriv en begrunnelse for avslaget. Den sendes til den som bestilte.",
                    "Give a reason for the rejection. It is sent to the person who booked.",
                )
            ]
        )
    if len(reason) > MAX_REASON:
        raise InvalidForm(
            [
                FieldProblem(
                    "reason",
                    "too_long",
                    f"Begrunnelsen kan ha høyst {MAX_REASON} tegn.",
                    f"The reason can be at most {MAX_REASON} characters.",
                )
            ]
        )
    return reason


def _check_scope(scope: StaffScope, premises: Premises) -> None:
    if not scope.manages(premises.building.department_id):
        raise Forbidden(
            "not_your_department",
            f"{premises.name} eies av en annen virksomhet; du kan ikke behandle bestillingen.",
            "The premises belong to another department.",
        )


async def _decide_in(
    session: AsyncSession, scope: StaffScope, bookings: Sequence[Booking], *, approve: bool, reason: str, now: datetime
) -> AfterCommit:
    """The one decision, for one date or several, in the caller's write transaction, with
    the bookings locked: each must be in this scope and still waiting for approval."""
    target = Status.CONFIRMED if approve else Status.REJECTED
    for booking in bookings:
        _check_scope(scope, booking.premises)
        decision_transition(Status(booking.status), target)
    after, decided = AfterCommit(), []
    for booking in bookings:
        if not approve:
            settled = await settle_cancellation(session, booking, fee=Decimal(0), now=now)
            after.refund_ids += settled.refund_ids
            after.checkouts += settled.checkouts
        decided.append(
            await change_status(
                session,
                booking.id,
                target,
                actor_id=scope.person_id,
                reason=reason,
                now=now,
                allowed=decision_transition,
            )
        )
    # A series' dates send no mail each (booking_mail._kind): one summary per series says what was decided.
    for series_id in sorted({b.series_id for b in decided if b.series_id is not None}):
        await series_decided(
            session,
            series_id,
            [b for b in decided if b.series_id == series_id],
            approved=approve,
            reason=reason,
            now=now,
        )
    return after


async def decide(
    session: AsyncSession,
    settings: Settings,
    scope: StaffScope,
    booking_id: int,
    *,
    approve: bool,
    reason: str,
    now: datetime,
) -> Booking:
    """Approve (confirmed) or reject (rejected, a reason required) a request for premises
    this staff member manages. A rejection refunds in full whatever was paid. Refusals:
    unknown_booking (404), not_your_department (403), invalid_transition (409: not
    waiting for approval, say decided already; the booking is locked, so of two decisions
    at once exactly one is made), invalid_form (422: the reason)."""
    reason = _checked_reason(reason, approve=approve)
    async with write_transaction(session):
        booking = await locked_booking(session, booking_id)
        after = await _decide_in(session, scope, [booking], approve=approve, reason=reason, now=now)
    await after.run(session, settings, now)
    return booking


async def decide_series(
    session: AsyncSession,
    settings: Settings,
    scope: StaffScope,
    series_id: int,
    *,
    approve: bool,
    reason: str,
    now: datetime,
) -> list[Booking]:
    """Approve or reject every date of a weekly series still waiting for approval, in one
    transaction; dates no longer waiting (cancelled meanwhile, decided one by one) are left
    as they are. The booker gets one mail for the decision."""
    reason = _checked_reason(reason, approve=approve)
    async with write_transaction(session):
        series = await session.get(BookingSeries, series_id)
        if series is None:
            raise NotFound("unknown_series", "Fant ikke serien.", f"No series {series_id}.")
        _check_scope(scope, await session.get(Premises, series.premises_id))
        waiting = list(
            (
                await session.execute(
                    select(Booking)
                    .where(Booking.series_id == series_id, Booking.status == Status.REQUESTED.value)
                    .order_by(Booking.start_at, Booking.id)
                    .with_for_update(of=Booking)
                )
            )
            .scalars()
            .unique()
        )
        if not waiting:
            raise InvalidTransition(
                "nothing_waiting",
                "Ingen datoer i serien venter på godkjenning.",
                f"No dates of series {series_id} are awaiting approval.",
            )
        after = await _decide_in(session, scope, waiting, approve=approve, reason=reason, now=now)
    await after.run(session, settings, now)
    return waiting
