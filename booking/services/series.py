"""Weekly series: preview each occurrence's result, create the ones that fit, and
edit with the scopes "this", "following" (this and following) and "all". A priced
series is paid the way the booker chose for all its dates: by card in one checkout
(the dates are held meanwhile, booking.services.payments), or by invoice (organisations).
Making or changing a series sends one summary mail (booking.notify.series_mail)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking import notify
from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingSeries
from booking.domain.errors import Collision, Conflict, DomainError, KeyReused, NotFound
from booking.domain.intervals import Interval
from booking.domain.lifecycle import SLOT_HOLDING, Status
from booking.domain.recurrence import Occurrence, WeeklyPattern, occurrences
from booking.services.bookings import (
    NewBooking,
    Placement,
    Situation,
    change_status,
    decide,
    place_booking,
    read_situation,
    write_bookings,
)
from booking.services.lending import LendingRules, Responsible, details_of
from common.localtime import local_day_start
from pricing import BookingDetails

SCOPES = ("this", "following", "all")


@dataclass(frozen=True)
class OccurrenceResult:
    day: date
    booking_id: int | None
    status: str | None
    error_code: str | None = None
    message_nb: str | None = None
    message_en: str | None = None
    price: Decimal | None = None  # the occurrence's quote, VAT included


@dataclass(frozen=True)
class SeriesResult:
    series_id: int | None
    occurrences: list[OccurrenceResult]

    @property
    def created(self) -> int:
        return sum(1 for o in self.occurrences if o.booking_id is not None)

    @property
    def total(self) -> Decimal:
        """What the dates that can be booked cost together (the sum of their quotes)."""
        return sum((o.price for o in self.occurrences if o.status is not None and o.price), Decimal(0))

    @property
    def first_held(self) -> int | None:
        """The first date waiting for payment: the way to the checkout for all of them."""
        return next((o.booking_id for o in self.occurrences if o.status == Status.HELD.value), None)


def _refused(day: date, error: DomainError) -> OccurrenceResult:
    return OccurrenceResult(day, None, None, error.code, error.message_nb, error.message_en)


def decide_dates(
    situation: Situation,
    dates: list[Occurrence],
    new: NewBooking,
    rules: LendingRules,
    now: datetime,
    key: Callable[[date], str | None],
) -> list[OccurrenceResult | Placement]:
    """Pure: each date of a series decided on its own, in order, the earlier dates taking
    their slots and counting against the quota; a refusal names its date."""
    decided: list[OccurrenceResult | Placement] = []
    for occurrence in dates:
        if occurrence.error is not None:
            decided.append(_refused(occurrence.day, occurrence.error))
            continue
        one = dataclasses.replace(
            new,
            start=occurrence.interval.start,
            end=occurrence.interval.end,
            occurrence_date=occurrence.day,
            idempotency_key=key(occurrence.day),
        )
        try:
            decided.append(decide(situation, one, rules, now, [d for d in decided if isinstance(d, Placement)]))
        except DomainError as error:
            decided.append(_refused(occurrence.day, error))
    return decided


async def _write_dates(
    session: AsyncSession, situation: Situation, decided: list[OccurrenceResult | Placement], now: datetime
) -> list[OccurrenceResult]:
    """The dates that may be booked, in a few statements in a savepoint; if the database
    refuses them (a booking committed meanwhile, on PostgreSQL), each on its own."""
    placements = [d for d in decided if isinstance(d, Placement)]
    try:
        async with session.begin_nested():
            ids = iter(await write_bookings(session, placements, actor_id=situation.person.id, now=now))
        return [d if isinstance(d, OccurrenceResult) else _made(d, next(ids)) for d in decided]
    except IntegrityError:
        pass
    results = []
    for d in decided:
        if isinstance(d, OccurrenceResult):
            results.append(d)
            continue
        try:
            async with session.begin_nested():
                (booking_id,) = await write_bookings(session, [d], actor_id=situation.person.id, now=now)
            results.append(_made(d, booking_id))
        except IntegrityError:  # taken by a booking committed meanwhile
            taken = Conflict([Collision("booking", situation.premises.name, d.row["start_at"], d.row["end_at"])])
            results.append(_refused(d.row["occurrence_date"], taken))
    return results


def _made(placement: Placement, booking_id: int) -> OccurrenceResult:
    return OccurrenceResult(
        placement.row["occurrence_date"],
        booking_id,
        placement.status.value,
        price=Decimal(placement.row["price_total"] or 0),
    )


async def create_series(
    session: AsyncSession,
    *,
    premises_slug: str,
    pattern: WeeklyPattern,
    person_id: int,
    organisation_id: int | None,
    details: BookingDetails,
    rules: LendingRules,
    now: datetime,
    preview: bool = False,
    payment_method: str | None = None,
    idempotency_key: str | None = None,
    responsible: Responsible | None = None,
) -> SeriesResult:
    """Book every occurrence that fits. With `preview` nothing is kept: the caller sees
    each occurrence's result and price before confirming. `payment_method` is how a
    priced series is paid, as for one booking: "card" holds every date until the one
    checkout for all of them is paid, "invoice" (organisations) confirms them now; the
    caller checks the choice against booking.services.payments.payment_choices.
    With an `idempotency_key` the same submission made again (a reload, a retry) gives
    the series made the first time, not a second one; the key sent with a different
    request is refused (KeyReused). A series where no date can be booked is refused, not
    kept empty."""
    asked = hashlib.sha256(
        json.dumps(
            [premises_slug, pattern.to_data(), organisation_id, dataclasses.astuple(details)],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()[:16]
    async with write_transaction(session):
        if idempotency_key is not None and not preview:
            earlier = await session.scalar(
                select(BookingSeries).where(
                    BookingSeries.person_id == person_id, BookingSeries.idempotency_key == idempotency_key
                )
            )
            if earlier is not None:
                made = await _series_bookings(session, earlier.id)
                if earlier.request_digest != asked:
                    raise KeyReused(idempotency_key, made[0].id if made else 0)
                return SeriesResult(
                    earlier.id,
                    [
                        OccurrenceResult(b.occurrence_date, b.id, b.status, price=Decimal(b.price_total or 0))
                        for b in made
                    ],
                )
        days = Interval(local_day_start(pattern.first_date), local_day_start(pattern.last_date + timedelta(days=1)))
        situation = await read_situation(session, premises_slug, person_id, organisation_id, days, now)
        series_id = None
        if not preview:
            series = BookingSeries(
                premises_id=situation.premises.id,
                person_id=person_id,
                organisation_id=organisation_id,
                rrule=pattern.rrule,
                pattern=pattern.to_data(),
                exceptions=[],
                created_at=now,
                idempotency_key=idempotency_key,
                request_digest=asked if idempotency_key else None,
            )
            session.add(series)
            await session.flush()
            series_id = series.id
        new = NewBooking(
            premises_slug,
            days.start,
            days.end,
            person_id,
            organisation_id,
            details,
            series_id=series_id,
            payment_method=payment_method,
            responsible=responsible,
        )
        decided = decide_dates(
            situation,
            occurrences(pattern),
            new,
            rules,
            now,
            lambda day: f"{idempotency_key}:{asked}:{day.isoformat()}" if idempotency_key else None,
        )
        if preview:
            return SeriesResult(None, [d if isinstance(d, OccurrenceResult) else _made(d, None) for d in decided])
        results = await _write_dates(session, situation, decided, now)
        if not any(r.booking_id is not None for r in results):
            raise DomainError(
                "no_bookable_dates",
                "Ingen av datoene kan bestilles. Endre tid, ukedager eller periode og prøv igjen.",
                "None of the dates can be booked. Change the time, weekdays or period and try again.",
            )
        await notify.series_summary(
            session,
            series.id,
            "created",
            now,
            key=f"series-{series.id}-created",
            refused=[notify.Refused(r.day, r.message_nb, r.message_en) for r in results if r.booking_id is None],
            dates=[
                notify.SeriesDate.written(r.booking_id, d.row)
                for r, d in zip(results, decided, strict=True)
                if isinstance(d, Placement) and r.booking_id is not None
            ],
        )
        return SeriesResult(series.id, results)


async def _series_bookings(session: AsyncSession, series_id: int) -> list[Booking]:
    return list(
        (
            await session.execute(
                select(Booking)
                .where(Booking.series_id == series_id, Booking.status.in_([s.value for s in SLOT_HOLDING]))
                .order_by(Booking.start_at)
            )
        ).scalars()
    )


async def edit_series(
    session: AsyncSession,
    series_id: int,
    *,
    day: date,
    scope: str,
    start_time: time,
    end_time: time,
    actor_id: int,
    rules: LendingRules,
    now: datetime,
) -> SeriesResult:
    """Move occurrences to a new local time. "this" moves one date and records it as an
    exception; "all" moves every occurrence except those edited on their own earlier;
    "following" splits the series at `day` into a new series with the new time, which
    takes over the later exceptions and skipped dates. All or nothing: one conflict
    refuses the whole edit."""
    if scope not in SCOPES:
        raise DomainError(
            "invalid_scope",
            "Velg «denne», «denne og følgende» eller «alle».",
            f"Scope must be one of {', '.join(SCOPES)}.",
        )
    async with write_transaction(session):
        series = await session.get(BookingSeries, series_id)
        if series is None:
            raise NotFound("unknown_series", "Fant ikke serien.", f"No series {series_id}.")
        exceptions = set(series.exceptions)
        pattern = WeeklyPattern.from_data(series.pattern)
        moved = [
            b
            for b in await _series_bookings(session, series_id)
            if (scope == "this" and b.occurrence_date == day)
            or (scope == "following" and b.occurrence_date >= day and b.occurrence_date.isoformat() not in exceptions)
            or (scope == "all" and b.occurrence_date.isoformat() not in exceptions)
        ]
        if not moved:
            raise NotFound("no_occurrences", "Ingen forekomster å endre.", "No occurrences in that scope.")
        if any(b.payment_method == "card" and Decimal(b.price_total or 0) > 0 for b in moved):
            # A card payment belongs to the booking it paid for; moving would leave it behind.
            raise DomainError(
                "card_series_cannot_move",
                "Datoer som betales med kort, kan ikke flyttes. Avbestill dem og bestill på nytt.",
                "Dates paid by card cannot be moved; cancel them and book again.",
            )
        # Free the old slots first so an occurrence may overlap its own old time.
        for booking in moved:
            await change_status(
                session, booking.id, Status.CANCELLED, actor_id=actor_id, reason=notify.MOVED_IN_SERIES, now=now
            )
        target = series
        if scope == "following" and day > pattern.first_date:
            target = BookingSeries(
                premises_id=series.premises_id,
                person_id=series.person_id,
                organisation_id=series.organisation_id,
                created_at=now,
                pattern=dataclasses.replace(pattern, first_date=day).to_data(),
                rrule=dataclasses.replace(pattern, first_date=day).rrule,
                exceptions=sorted(e for e in exceptions if e >= day.isoformat()),
            )
            session.add(target)
            await session.flush()
            earlier = dataclasses.replace(
                pattern, last_date=day - timedelta(days=1), skipped=frozenset(d for d in pattern.skipped if d < day)
            )
            series.pattern, series.rrule = earlier.to_data(), earlier.rrule
            series.exceptions = sorted(e for e in exceptions if e < day.isoformat())
            await _adopt(session, series_id, target.id, day)
        results = []
        for booking in moved:
            shifted = WeeklyPattern(
                pattern.weekdays, start_time, end_time, booking.occurrence_date, booking.occurrence_date
            )
            (occurrence,) = occurrences(shifted)
            if occurrence.error is not None:
                raise occurrence.error
            new = NewBooking(
                booking.premises.slug,
                occurrence.interval.start,
                occurrence.interval.end,
                booking.person_id,
                booking.organisation_id,
                details_of(booking),
                series_id=target.id,
                payment_method=booking.payment_method,
                occurrence_date=booking.occurrence_date,
            )
            booking_id, placement = await place_booking(session, new, rules, now)
            results.append(_made(placement, booking_id))
        if scope == "this":
            series.exceptions = sorted(exceptions | {day.isoformat()})
        else:
            retimed = dataclasses.replace(
                WeeklyPattern.from_data(target.pattern), start_time=start_time, end_time=end_time
            )
            target.pattern, target.rrule = retimed.to_data(), retimed.rrule
        for changed in sorted({series.id, target.id}):  # a split reports both halves
            await notify.series_summary(
                session, changed, "changed", now, key=f"series-{changed}-changed-{results[0].booking_id}"
            )
        return SeriesResult(target.id, results)


async def _adopt(session: AsyncSession, old_id: int, new_id: int, day: date) -> None:
    """Occurrences from `day` on (the edited-on-their-own ones too) join the new series."""
    await session.execute(
        update(Booking)
        .where(Booking.series_id == old_id, Booking.occurrence_date >= day)
        .values(series_id=new_id)
        .execution_options(synchronize_session=False)
    )


async def skip_occurrence(
    session: AsyncSession, series_id: int, day: date, *, actor_id: int, reason: str, now: datetime
) -> None:
    """Cancel one date of a series and remember it as skipped."""
    async with write_transaction(session):
        series = await session.get(BookingSeries, series_id)
        if series is None:
            raise NotFound("unknown_series", "Fant ikke serien.", f"No series {series_id}.")
        for booking in await _series_bookings(session, series_id):
            if booking.occurrence_date == day:
                await change_status(session, booking.id, Status.CANCELLED, actor_id=actor_id, reason=reason, now=now)
        pattern = WeeklyPattern.from_data(series.pattern)
        series.pattern = dataclasses.replace(pattern, skipped=pattern.skipped | {day}).to_data()
