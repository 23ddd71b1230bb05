"""When a time cannot be had: alternatives, the nearest free times that day at the same
premises and similar premises nearby (same district and kind, at least as large) free
then. (What a booking would cost and what the rules decide is its preview,
`submissions.preview_booking`.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Premises
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.domain.premises import PremisesRules
from booking.services.catalogue import SearchFilters, availability, premises_by_slug, search
from common.localtime import DAY_MINUTES, local_day_start, minute_instant, to_local

# Refusals about the booker, not the time or the place: other times or rooms do not help.
ABOUT_THE_BOOKER = frozenset(
    {
        "age_unknown",
        "under_18",
        "quota_exceeded",
        "not_a_delegate",
        "too_far_ahead",
        "unknown_organisation",
        "end_not_after_start",
        "invalid_datetime",
        "nonexistent_local_time",
        "ambiguous_local_time",
    }
)
SUGGESTIONS = 3


@dataclass(frozen=True)
class Alternatives:
    times: list[Interval] = field(default_factory=list)  # same premises, same local day
    premises: list[Premises] = field(default_factory=list)  # similar and free at the wanted time

    def __bool__(self) -> bool:
        return bool(self.times or self.premises)


def nearest_free_times(
    free: list[Interval], rules: PremisesRules, wanted: Interval, day: date, now: datetime, limit: int = SUGGESTIONS
) -> list[Interval]:
    """Times on `day` of the wanted length (kept within the premises' limits) that fit a
    free span and the slot grid, nearest the wanted start first; returned in time order."""
    slot = rules.slot_minutes
    minutes = int(wanted.duration.total_seconds() // 60)
    minutes = min(max(minutes, rules.min_minutes), rules.max_minutes)
    minutes += -minutes % slot
    length = timedelta(minutes=minutes)
    found = []
    for minute in range(0, DAY_MINUTES, slot):
        start = minute_instant(day, minute)
        local_start, local_end = to_local(start), to_local(start + length)
        if local_start.hour * 60 + local_start.minute != minute or local_end.minute % slot:
            continue  # inside the spring-forward gap, or an end pushed off the grid by it
        candidate = Interval(start, start + length)
        if candidate.start > now and candidate != wanted and any(f.contains(candidate) for f in free):
            found.append(candidate)
    found.sort(key=lambda c: (abs(c.start - wanted.start), c.start))
    return sorted(found[:limit])


async def alternatives(
    session: AsyncSession, premises: Premises, wanted: Interval, *, now: datetime, limit: int = SUGGESTIONS
) -> Alternatives:
    day = to_local(wanted.start).date()
    window = Interval(local_day_start(day), local_day_start(day + timedelta(days=1)))
    avail = await availability(session, premises.slug, window, now=now)
    times = nearest_free_times(avail.free, avail.rules, wanted, day, now, limit)
    similar = await search(
        session, SearchFilters(wanted, premises.building.district.slug, premises.kind, premises.capacity), now=now
    )
    return Alternatives(times, [p for p in similar if p.id != premises.id][:limit])


def code_of(error: Exception) -> str:
    return getattr(error, "code", "refused")


async def alternatives_for(
    session: AsyncSession, premises_slug: str, wanted: Interval, error: Exception, now: datetime
) -> Alternatives:
    """Alternatives after a refused booking, unless the refusal was about the booker."""
    if code_of(error) in ABOUT_THE_BOOKER or wanted.end <= wanted.start:
        return Alternatives()
    try:
        premises = await premises_by_slug(session, premises_slug)
    except DomainError:
        return Alternatives()
    return await alternatives(session, premises, wanted, now=now)
