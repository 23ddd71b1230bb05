"""Publishing a closed round: every allocation becomes a weekly series of confirmed
bookings through the engine's own guarantees, and after it the season's time is released
again: what was not allocated, and what is given back or withdrawn, is bookable by anyone.

The shape of the write: read once (the round's premises and their halls, closures and
bookings in the season, the delegates and organisations, the rules) → decide each date
in pure code (opening hours, closures, collisions, price) → write in bulk; the exclusion
constraint (PostgreSQL) or the write lock (SQLite) is the final judge, and a date
refused there is reported like any other collision, never forced."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.engine import write_transaction
from booking.db.models import (
    Booking,
    BookingSeries,
    Membership,
    Premises,
    Season,
    SeasonAllocation,
    SeasonDateUnused,
)
from booking.domain.availability import check_request, conflicts, occupied
from booking.domain.errors import DomainError, Forbidden, InvalidTransition, NotFound
from booking.domain.intervals import Interval
from booking.domain.lifecycle import SLOT_HOLDING, Status
from booking.domain.recurrence import WeeklyPattern, occurrences
from booking.notify import GIVEN_BACK, WITHDRAWN
from booking.notify.season_mail import allocation_published, allocation_released
from booking.services import seasons as rounds
from booking.services.bookings import Placement, change_status, taken_slots, write_bookings
from booking.services.catalogue import closures_in, closures_of, families, rules_of
from booking.services.rulebook import booker_facts
from booking.services.season_proposal import priority_rules
from common.localtime import local_day_start, to_local
from pricing import BookingDetails

CHILDREN_YOUTH_GROUPS = ("under_13", "13_19")


@dataclass(frozen=True)
class Published:
    series: int
    bookings: int
    collisions: list[dict]

    def to_data(self) -> dict:
        return {"series": self.series, "bookings": self.bookings, "collisions": self.collisions}


def excluded_days(season: Season) -> frozenset[date]:
    days: set[date] = set()
    for period in season.excluded:
        first, last = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(days)


def fingerprint(rows: list[SeasonAllocation]) -> str:
    """What was published: each allocation's need and slot."""
    data = sorted((a.id, a.application_id, a.need, a.premises_id, a.weekday, a.start_time, a.end_time) for a in rows)
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def _collision(allocation: SeasonAllocation, premises: Premises, day: date, error: DomainError) -> dict:
    return {
        "application_id": allocation.application_id,
        "need": allocation.need,
        "premises": premises.slug,
        "premises_name": premises.name,
        "day": day.isoformat(),
        "code": error.code,
        "message_nb": error.message_nb,
        "message_en": error.message_en,
    }


class TakenByDay:
    """Claims per unit and local day, so checking a date looks only at its neighbours."""

    def __init__(self) -> None:
        self.claims: dict[tuple[int, date], list[Interval]] = {}

    def add(self, unit: int, claim: Interval) -> None:
        day, last = to_local(claim.start).date(), to_local(claim.end).date()
        while day <= last:  # a long booking is found from every day it touches
            self.claims.setdefault((unit, day), []).append(claim)
            day += timedelta(days=1)

    def near(self, units: frozenset[int], day: date) -> list[Interval]:
        return [
            claim
            for unit in units
            for offset in (-1, 0, 1)
            for claim in self.claims.get((unit, day + timedelta(days=offset)), ())
        ]


TAKEN = DomainError("slot_taken", "Tiden er allerede bestilt.", "The time is already booked.")


async def publish(
    session: AsyncSession, season_id: int, *, rule_book, actor_id: int | None, now: datetime
) -> Published:
    """Publish a closed round once. Publishing again gives the first result and creates
    nothing; publishing again after the allocations changed is refused."""
    async with write_transaction(session):
        season = (
            await session.execute(select(Season).where(Season.id == season_id).with_for_update())
        ).scalar_one_or_none()
        if season is None:
            raise NotFound("unknown_season", "Fant ikke sesongen.", f"No season {season_id}.")
        rows = await rounds.allocations(session, season_id, ("proposed", "published", "given_back", "withdrawn"))
        if season.state == "published":
            if fingerprint(rows) != season.published_hash:
                raise InvalidTransition(
                    "published_with_changes",
                    "Sesongen er allerede publisert, og tildelingene er endret siden.",
                    f"Season {season_id} was published and its allocations have changed since.",
                )
            return Published(**{k: season.proposal["published"][k] for k in ("series", "bookings", "collisions")})
        if season.state != "closed":
            raise InvalidTransition(
                "round_not_closed",
                "Søknadsrunden må lukkes før tiden kan publiseres.",
                f"Season {season_id} is {season.state}; close it before publishing.",
            )
        priority_rules(rule_book, season)  # the rules that made the proposal must still be there
        result = await _write_all(session, season, rows, rule_book, actor_id, now)
        season.state, season.updated_at, season.published_hash = "published", now, fingerprint(rows)
        season.proposal = {**(season.proposal or {}), "published": result.to_data(), "published_at": now.isoformat()}
        return result


async def _write_all(
    session: AsyncSession, season: Season, rows: list[SeasonAllocation], rule_book, actor_id: int | None, now: datetime
) -> Published:
    window = Interval(local_day_start(season.starts), local_day_start(season.ends + timedelta(days=1)))
    premises = {
        p.id: p
        for p in (
            await session.execute(select(Premises).where(Premises.id.in_({a.premises_id for a in rows})))
        ).scalars()
    }
    fams = await families(session, {p.building_id for p in premises.values()})
    closures = await closures_in(session, window, except_season=season.id)
    units = frozenset().union(*(fams[p].units for p in premises)) if premises else frozenset()
    taken = TakenByDay()
    for slot in await taken_slots(session, units, window.widened(timedelta(days=1), timedelta(days=1)), now=now):
        taken.add(slot.unit_id, slot.interval)
    applications = {a.id: a for a in await rounds.applications(session, season.id)}
    skipped = excluded_days(season)
    collisions: list[dict] = []
    series_count = booking_count = 0
    given_to: dict[int, None] = {}  # the applications that got time, in order
    for row in sorted(rows, key=lambda a: a.id):
        if row.state != "proposed":
            continue
        place, fam = premises[row.premises_id], fams[row.premises_id]
        structure = rules_of(place, fam.units)
        application = applications[row.application_id]
        need = application.needs[row.need]
        pattern = WeeklyPattern(
            (row.weekday,),
            time.fromisoformat(row.start_time),
            time.fromisoformat(row.end_time),
            season.starts,
            season.ends,
            skipped=skipped,
        )
        spans = closures_of(place, fam, closures)
        planned = []
        for occurrence in occurrences(pattern):
            if occurrence.error is not None:
                collisions.append(_collision(row, place, occurrence.day, occurrence.error))
                continue
            try:
                check_request(structure, occurrence.interval, spans)
            except DomainError as error:
                collisions.append(_collision(row, place, occurrence.day, error))
                continue
            if conflicts(structure, occurrence.interval, taken.near(fam.units, occurrence.day)):
                collisions.append(_collision(row, place, occurrence.day, TAKEN))
                continue
            planned.append(occurrence)
            for unit in fam.units:
                taken.add(unit, occupied(structure, occurrence.interval))
        details = BookingDetails(
            need["activity"][:300],
            min(need["participants"], place.capacity),
            "children_youth" if need["age_group"] in CHILDREN_YOUTH_GROUPS else "adults",
            False,
        )
        series = BookingSeries(
            premises_id=place.id,
            person_id=application.person_id,
            organisation_id=application.organisation_id,
            rrule=pattern.rrule,
            pattern=pattern.to_data(),
            exceptions=[],
            created_at=now,
        )
        session.add(series)
        await session.flush()
        row.series_id, row.state = series.id, "published"
        series_count += 1
        who = booker_facts(application.person, application.organisation)
        facts = rule_book.facts(place)
        made = await _write_dates(
            session, row, series, place, structure, planned, details, who, facts, rule_book, collisions, actor_id, now
        )
        booking_count += len(made)
        given_to[application.id] = None
    for application_id in given_to:
        await allocation_published(session, season, applications[application_id], now)
    return Published(series_count, booking_count, collisions)


async def _write_dates(
    session, row, series, place, structure, planned, details, who, facts, rule_book, collisions, actor_id, now
) -> list[int]:
    """One allocation's dates in a few statements, in a savepoint: if the database refuses
    them (a booking committed meanwhile, on PostgreSQL), each date is tried on its own."""
    values = []
    for occurrence in planned:
        rule_set = rule_book.in_force(occurrence.interval.start)
        price = pricing.quote(facts, occurrence.interval.start, occurrence.interval.end, who, details, rule_set)
        values.append(
            {
                "premises_id": place.id,
                "person_id": series.person_id,
                "organisation_id": series.organisation_id,
                "purpose": details.purpose,
                "attendees": details.attendees,
                "target_group": details.target_group,
                "alcohol": False,
                "start_at": occurrence.interval.start,
                "end_at": occurrence.interval.end,
                "status": Status.CONFIRMED.value,
                "hold_expires_at": None,
                "price_snapshot": price.to_snapshot(),
                "price_total": price.total,
                "series_id": series.id,
                "occurrence_date": occurrence.day,
                "idempotency_key": f"season-{row.season_id}-{row.id}-{occurrence.day.isoformat()}",
                "payment_method": "invoice" if price.total > 0 else None,
                "created_at": now,
                "updated_at": now,
                "sequence": 0,
            }
        )
    if not values:
        return []
    try:
        async with session.begin_nested():
            return await _insert(session, values, structure, row, actor_id)
    except IntegrityError:
        made = []
        for value, occurrence in zip(values, planned, strict=True):
            try:
                async with session.begin_nested():
                    made += await _insert(session, [value], structure, row, actor_id)
            except IntegrityError:
                collisions.append(_collision(row, place, occurrence.day, TAKEN))
        return made


async def _insert(
    session: AsyncSession, values: list[dict], structure, row: SeasonAllocation, actor_id: int | None
) -> list[int]:
    return await write_bookings(
        session,
        [
            Placement(
                value,
                structure.units,
                occupied(structure, Interval(value["start_at"], value["end_at"])),
                f"Sesongtildeling {row.season_id}",
            )
            for value in values
        ],
        actor_id=actor_id,
        now=values[0]["created_at"],
    )


# --- after publishing: give back, withdraw, not used ----------------------------------------


async def _published_allocation(session: AsyncSession, allocation_id: int) -> SeasonAllocation:
    row = await session.get(SeasonAllocation, allocation_id)
    if row is None:
        raise NotFound("unknown_allocation", "Fant ikke tildelingen.", f"No allocation {allocation_id}.")
    if row.state != "published" or row.series_id is None:
        raise InvalidTransition(
            "not_published",
            "Bare publisert tid kan gis tilbake eller trekkes.",
            f"Allocation {allocation_id} is {row.state}.",
        )
    return row


async def _release(
    session: AsyncSession,
    row: SeasonAllocation,
    days: list[date] | None,
    *,
    actor_id: int | None,
    reason: str,
    now: datetime,
) -> int:
    """Cancel the allocation's coming dates (all, or the days named); their time is free at once."""
    bookings = list(
        (
            await session.execute(
                select(Booking)
                .where(
                    Booking.series_id == row.series_id,
                    Booking.status.in_([s.value for s in SLOT_HOLDING]),
                    Booking.start_at > now,
                )
                .order_by(Booking.start_at)
            )
        ).scalars()
    )
    if days is not None:
        unknown = sorted(set(days) - {b.occurrence_date for b in bookings})
        if unknown:
            raise DomainError(
                "unknown_date",
                f"{unknown[0]:%d.%m.%Y} er ikke en kommende dato i tildelingen.",
                f"{unknown[0]} is not a coming date of allocation {row.id}.",
                day=unknown[0].isoformat(),
            )
        bookings = [b for b in bookings if b.occurrence_date in set(days)]
    for booking in bookings:
        await change_status(session, booking.id, Status.CANCELLED, actor_id=actor_id, reason=reason, now=now)
    await allocation_released(
        session, row, [b.occurrence_date for b in bookings], withdrawn=reason == WITHDRAWN, now=now
    )
    return len(bookings)


async def give_back(
    session: AsyncSession,
    allocation_id: int,
    *,
    person_id: int,
    days: list[date] | None,
    now: datetime,
) -> int:
    """A delegate of the organisation gives back the whole allocation (its coming dates) or some dates."""
    async with write_transaction(session):
        row = await _published_allocation(session, allocation_id)
        if (
            await session.scalar(
                select(Membership.id).where(
                    Membership.organisation_id == row.application.organisation_id, Membership.person_id == person_id
                )
            )
            is None
        ):
            raise Forbidden(
                "not_a_delegate",
                "Du kan bare gi tilbake tid for din egen organisasjon.",
                f"Person {person_id} is not a delegate of the allocation's organisation.",
            )
        count = await _release(session, row, days, actor_id=person_id, reason=GIVEN_BACK, now=now)
        if days is None:
            row.state = "given_back"
        return count


async def withdraw(session: AsyncSession, allocation_id: int, *, actor_id: int, now: datetime) -> int:
    async with write_transaction(session):
        row = await _published_allocation(session, allocation_id)
        count = await _release(session, row, None, actor_id=actor_id, reason=WITHDRAWN, now=now)
        row.state = "withdrawn"
        return count


async def mark_not_used(session: AsyncSession, booking_id: int, *, caretaker_id: int, now: datetime) -> int:
    """A caretaker marks a seasonal date (that has begun) as not used; returns how many
    dates of that allocation are now marked."""
    async with write_transaction(session):
        booking = await session.get(Booking, booking_id)
        row = (
            None
            if booking is None or booking.series_id is None
            else (
                await session.execute(select(SeasonAllocation).where(SeasonAllocation.series_id == booking.series_id))
            ).scalar_one_or_none()
        )
        if row is None:
            raise NotFound(
                "not_a_season_date",
                "Fant ingen sesongdato med det nummeret.",
                f"Booking {booking_id} is not a seasonal date.",
            )
        if booking.premises.building.caretaker_id != caretaker_id:
            raise Forbidden(
                "not_your_building",
                "Du er ikke vaktmester for dette bygget.",
                f"Person {caretaker_id} does not look after the building of booking {booking_id}.",
            )
        if booking.start_at > now:
            raise DomainError(
                "not_yet",
                "En dato kan bare merkes som ubrukt når den har begynt.",
                "A date can be marked as not used once it has begun.",
            )
        exists = await session.scalar(select(SeasonDateUnused.id).where(SeasonDateUnused.booking_id == booking_id))
        if exists is None:
            session.add(
                SeasonDateUnused(booking_id=booking_id, allocation_id=row.id, marked_by_id=caretaker_id, at=now)
            )
            await session.flush()
        return (
            await session.scalar(
                select(func.count(SeasonDateUnused.id)).where(SeasonDateUnused.allocation_id == row.id)
            )
            or 0
        )


async def often_unused(session: AsyncSession, limit: int) -> list[tuple[SeasonAllocation, int]]:
    """Published allocations with at least `limit` dates marked not used: for staff's queue."""
    rows = (
        await session.execute(
            select(SeasonAllocation, func.count(SeasonDateUnused.id))
            .join(SeasonDateUnused)
            .where(SeasonAllocation.state == "published")
            .group_by(SeasonAllocation.id)
            .having(func.count(SeasonDateUnused.id) >= limit)
        )
    ).all()
    return [(row[0], row[1]) for row in rows]
