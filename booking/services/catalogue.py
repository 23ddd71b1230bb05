"""The premises catalogue: rules as the domain sees them, availability and search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, Building, Closure, District, Premises, SeasonPremises, SlotClaim
from booking.db.models import Season as AllocationSeason
from booking.domain.availability import ClosureSpan, free_intervals, open_intervals
from booking.domain.errors import DomainError, NotFound
from booking.domain.intervals import Interval
from booking.domain.lifecycle import Status
from booking.domain.premises import ACCESSIBILITY, OpeningHours, PremisesRules, Season
from common.localtime import minute_instant, to_local


@dataclass(frozen=True)
class Family:
    """A premises' place in its building's hierarchy of divisible halls."""

    units: frozenset[int]  # the atomic units it occupies (its leaf descendants, or itself)
    related: frozenset[int]  # itself, ancestors and descendants: closures of any of them apply


def family(premises_id: int, parents: dict[int, int | None]) -> Family:
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    descendants, stack = [], [premises_id]
    while stack:
        current = stack.pop()
        descendants.append(current)
        stack.extend(children.get(current, ()))
    units = frozenset(d for d in descendants if d not in children)
    ancestors, parent = [], parents.get(premises_id)
    while parent is not None:
        ancestors.append(parent)
        parent = parents.get(parent)
    return Family(units, frozenset(descendants + ancestors))


def rules_of(premises: Premises, units: frozenset[int] = frozenset()) -> PremisesRules:
    season = None
    if premises.season_first and premises.season_last:
        season = Season.parse(premises.season_first, premises.season_last)
    return PremisesRules(
        slug=premises.slug,
        name=premises.name,
        kind=premises.kind,
        opening_hours=OpeningHours.parse(premises.opening_hours),
        season=season,
        slot_minutes=premises.slot_minutes,
        min_minutes=premises.min_minutes,
        max_minutes=premises.max_minutes,
        buffer_before=premises.buffer_before,
        buffer_after=premises.buffer_after,
        closed_on_public_holidays=premises.closed_on_public_holidays,
        requires_approval=premises.requires_approval,
        units=units or frozenset({premises.id}),
    )


async def families(session: AsyncSession, building_ids: set[int]) -> dict[int, Family]:
    rows = (
        await session.execute(select(Premises.id, Premises.parent_id).where(Premises.building_id.in_(building_ids)))
    ).all()
    parents = {row.id: row.parent_id for row in rows}
    return {pid: family(pid, parents) for pid in parents}


async def premises_by_slug(session: AsyncSession, slug: str) -> Premises:
    premises = (await session.execute(select(Premises).where(Premises.slug == slug))).scalar_one_or_none()
    if premises is None:
        raise NotFound("unknown_premises", f"Fant ikke lokalet «{slug}».", f"No premises {slug!r}.", slug=slug)
    return premises


async def premises_with_family(session: AsyncSession, slug: str) -> tuple[Premises, Family]:
    """A premises by slug and its place among its building's divisible halls, in one query:
    every premises of its building."""
    building = select(Premises.building_id).where(Premises.slug == slug).scalar_subquery()
    rows = list((await session.execute(select(Premises).where(Premises.building_id == building))).scalars())
    premises = next((p for p in rows if p.slug == slug), None)
    if premises is None:
        raise NotFound("unknown_premises", f"Fant ikke lokalet «{slug}».", f"No premises {slug!r}.", slug=slug)
    return premises, family(premises.id, {p.id: p.parent_id for p in rows})


@dataclass(frozen=True)
class SeasonHold:
    """Seasonal hours of a premises in a round that is open or closed but not yet
    published: held for the allocation, so not bookable ad hoc. Publishing releases them
    (allocated time becomes bookings; the rest is free to anyone)."""

    premises_id: int
    start_at: datetime
    end_at: datetime
    reason: str
    scope: str = "premises"
    building_id: int | None = None


SEASON_HOLD_REASON = "Sesongtid: holdes av til fordelingen er publisert"


def local_dates(window: Interval) -> tuple[date, date]:
    """The first and last local dates a window touches."""
    return to_local(window.start).date(), to_local(window.end).date()


def season_hours(first, last, *, except_season: int | None = None) -> Select:
    """The seasonal hours, per premises, of the rounds that hold time from local date
    `first` to `last` (open or closed, not yet published): rows for `holds_of`."""
    season = AllocationSeason
    return (
        select(
            SeasonPremises.id.label("hours_id"),
            SeasonPremises.premises_id,
            SeasonPremises.hours,
            season.starts,
            season.ends,
            season.excluded,
        )
        .join(season, season.id == SeasonPremises.season_id)
        .where(
            season.state.in_([literal("open"), literal("closed")]),  # not an expanding list (bookings.situation_query)
            season.starts <= last,
            season.ends >= first,
            season.id != (except_season or 0),
        )
    )


def holds_of(rows, window: Interval) -> list[SeasonHold]:
    """Pure: the held spans in the window of `season_hours` rows."""
    first, last = local_dates(window)
    holds = []
    for row in rows:
        skipped = [(date.fromisoformat(p["from"]), date.fromisoformat(p["to"])) for p in row.excluded]
        hours = OpeningHours.parse(row.hours)
        day = max(first, row.starts)
        while day <= min(last, row.ends):
            if not any(a <= day <= b for a, b in skipped):
                for start, end in hours.windows.get(day.weekday(), ()):
                    span = Interval(minute_instant(day, start), minute_instant(day, end))
                    if span.overlaps(window):
                        holds.append(SeasonHold(row.premises_id, span.start, span.end, SEASON_HOLD_REASON))
            day += timedelta(days=1)
    return holds


async def season_holds(
    session: AsyncSession, window: Interval, *, except_season: int | None = None
) -> list[SeasonHold]:
    rows = (await session.execute(season_hours(*local_dates(window), except_season=except_season))).all()
    return holds_of(rows, window)


async def closures_in(
    session: AsyncSession, window: Interval, *, except_season: int | None = None
) -> list[Closure | SeasonHold]:
    """Closures reaching into the window, and the seasonal hours held for a round."""
    closures: list[Closure | SeasonHold] = list(
        (
            await session.execute(select(Closure).where(Closure.start_at < window.end, Closure.end_at > window.start))
        ).scalars()
    )
    return closures + await season_holds(session, window, except_season=except_season)


def closures_of(premises: Premises, fam: Family, closures: list[Closure | SeasonHold]) -> list[ClosureSpan]:
    """The closures that apply to a premises: the municipality's, its building's, and
    those of itself, the hall it is part of, or its parts."""
    return [
        ClosureSpan(Interval(c.start_at, c.end_at), c.reason)
        for c in closures
        if c.scope == "municipality" or c.building_id == premises.building_id or c.premises_id in fam.related
    ]


async def closures_for(session: AsyncSession, premises: Premises, fam: Family, window: Interval) -> list[ClosureSpan]:
    return closures_of(premises, fam, await closures_in(session, window))


@dataclass(frozen=True)
class TakenSlot:
    interval: Interval  # the claim's buffered range
    booking_id: int
    premises_name: str
    status: str
    unit_id: int
    expired: bool = False  # a hold past its expiry whose claim `expire-holds` has not yet released


async def taken_slots(
    session: AsyncSession,
    units: frozenset[int],
    window: Interval,
    *,
    now: datetime,
    with_expired: bool = False,
    longest: timedelta | None = None,
) -> list[TakenSlot]:
    """Claims on these units that reach into the window, one per (booking, unit).
    A hold past its expiry no longer counts (unless asked for), even before
    `expire-holds` has run. `longest`, the longest claim there can be, lets the index
    start near the window instead of at the first claim ever made."""
    bounded = () if longest is None else (SlotClaim.busy_from > window.start - longest,)
    rows = (
        await session.execute(
            select(
                SlotClaim.busy_from,
                SlotClaim.busy_to,
                SlotClaim.booking_id,
                SlotClaim.unit_id,
                Premises.name,
                Booking.status,
                Booking.hold_expires_at,
            )
            .join(Booking, Booking.id == SlotClaim.booking_id)
            .join(Premises, Premises.id == Booking.premises_id)
            .where(
                SlotClaim.unit_id.in_(units),
                SlotClaim.busy_from < window.end,
                SlotClaim.busy_to > window.start,
                *bounded,
            )
        )
    ).all()
    slots = sorted(
        (
            TakenSlot(
                Interval(r.busy_from, r.busy_to),
                r.booking_id,
                r.name,
                r.status,
                r.unit_id,
                expired=r.status == Status.HELD.value and r.hold_expires_at is not None and r.hold_expires_at <= now,
            )
            for r in rows
        ),
        key=lambda t: (t.interval, t.booking_id),
    )
    return slots if with_expired else [s for s in slots if not s.expired]


def per_booking(slots: list[TakenSlot]) -> list[TakenSlot]:
    """A whole hall claims each of its halves: show such a booking once."""
    seen: dict[int, TakenSlot] = {}
    for slot in slots:
        seen.setdefault(slot.booking_id, slot)
    return list(seen.values())


@dataclass(frozen=True)
class Availability:
    premises: Premises
    rules: PremisesRules
    open: list[Interval]
    free: list[Interval]
    busy: list[TakenSlot]
    closures: list[ClosureSpan]


async def availability(session: AsyncSession, slug: str, window: Interval, *, now: datetime) -> Availability:
    premises, fam = await premises_with_family(session, slug)
    rules = rules_of(premises, fam.units)
    closures = await closures_for(session, premises, fam, window)
    reach = window.widened(*(timedelta(minutes=max(rules.buffer_before, rules.buffer_after)),) * 2)
    busy = per_booking(await taken_slots(session, fam.units, reach, now=now))
    free = free_intervals(rules, window, closures, [t.interval for t in busy])
    return Availability(premises, rules, open_intervals(rules, window), free, busy, closures)


@dataclass(frozen=True)
class SearchFilters:
    window: Interval
    district: str | None = None
    kind: str | None = None
    min_capacity: int = 0
    equipment: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.accessibility) - set(ACCESSIBILITY))
        if unknown:
            raise DomainError(
                "unknown_accessibility",
                f"Ukjent krav til universell utforming: {', '.join(unknown)}.",
                f"Unknown accessibility keys {unknown}; known: {sorted(ACCESSIBILITY)}.",
                unknown=unknown,
            )


async def matching(session: AsyncSession, filters: SearchFilters) -> list[Premises]:
    """Premises that match every filter except time, by name."""
    query = select(Premises).join(Building).order_by(Premises.name)
    if filters.district:
        query = query.join(District, District.id == Building.district_id).where(District.slug == filters.district)
    if filters.kind:
        query = query.where(Premises.kind == filters.kind)
    if filters.min_capacity:
        query = query.where(Premises.capacity >= filters.min_capacity)
    for key in filters.accessibility:
        query = query.where(getattr(Premises, key).is_(True))
    return [
        p
        for p in (await session.execute(query)).scalars().unique()
        if all(item in p.equipment for item in filters.equipment)
    ]


async def search(session: AsyncSession, filters: SearchFilters, *, now: datetime) -> list[Premises]:
    """Premises free for the whole window that match every filter; the best fit first
    (the smallest that seats everyone, then by name). A fixed number of queries, whatever the count.
    A window that has begun finds nothing: it can no longer be booked."""
    if filters.window.start <= now:
        return []
    candidates = await matching(session, filters)
    if not candidates:
        return []
    fams = await families(session, {p.building_id for p in candidates})
    reach = filters.window.widened(timedelta(days=1), timedelta(days=1))  # covers any buffer
    slots_by_unit: dict[int, list[Interval]] = {}
    all_units = frozenset().union(*(fams[p.id].units for p in candidates))
    # A display, not a guarantee: booking re-checks without this bound, so a premises whose
    # maximum was lowered after a longer booking cannot be double-booked through it.
    longest = timedelta(
        minutes=await session.scalar(
            select(func.max(Premises.max_minutes + Premises.buffer_before + Premises.buffer_after))
        )
        or 0
    )
    for slot in await taken_slots(session, all_units, reach, now=now, longest=longest):
        slots_by_unit.setdefault(slot.unit_id, []).append(slot.interval)
    closure_rows = await closures_in(session, filters.window)
    result = []
    for premises in candidates:
        fam = fams[premises.id]
        closures = closures_of(premises, fam, closure_rows)
        taken = [i for unit in fam.units for i in slots_by_unit.get(unit, ())]
        free = free_intervals(rules_of(premises, fam.units), filters.window, closures, taken)
        if any(span.contains(filters.window) for span in free):
            result.append(premises)
    return sorted(result, key=lambda p: (p.capacity, p.name))
