"""Before a booking is made: its quote, what the rules will decide, and — when the time
cannot be had — alternatives: the nearest free times that day at the same premises,
and similar premises nearby (same district and kind, at least as large) free then."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import Organisation, Person, Premises
from booking.domain.availability import conflicts, occupied
from booking.domain.errors import Collision, Conflict, DomainError
from booking.domain.intervals import Interval
from booking.domain.premises import PremisesRules
from booking.services.bookings import as_collisions, booker, upcoming_count
from booking.services.catalogue import (
    Family,
    SearchFilters,
    availability,
    premises_by_slug,
    premises_with_family,
    rules_of,
    search,
    taken_slots,
)
from booking.services.lending import Details, Request, check_capacity
from booking.services.quotes import quote_request
from booking.services.rulebook import ENGINE_APPROVALS, HarmonisedRules
from common.errors import CodedError
from common.localtime import DAY_MINUTES, local_day_start, minute_instant, to_local
from pricing.lending import approval_criteria

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


@dataclass(frozen=True)
class Preparation:
    premises: Premises
    quote: pricing.Quote | None = None
    needs_approval: bool = False
    approval_reasons: tuple[tuple[str, str], ...] = ()  # (Norwegian, English)
    refusal: CodedError | None = None
    alternatives: Alternatives = Alternatives()
    organisation: Organisation | None = None  # on whose behalf, when the booker may act for it

    @property
    def bookable(self) -> bool:
        return self.refusal is None and self.quote is not None


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


async def collisions(
    session: AsyncSession, premises: Premises, fam: Family, wanted: Interval, now: datetime
) -> list[Collision]:
    structure = rules_of(premises, fam.units)
    taken = await taken_slots(session, fam.units, occupied(structure, wanted), now=now)
    hits = conflicts(structure, wanted, [t.interval for t in taken])
    return as_collisions([t for t in taken if t.interval in hits])


def code_of(error: Exception) -> str:
    return getattr(error, "code", "refused")


async def prepare(
    session: AsyncSession,
    rules: HarmonisedRules,
    *,
    premises_slug: str,
    wanted: Interval,
    person: Person,
    organisation_id: int | None,
    details: Details,
    now: datetime,
    suggest: bool = True,
) -> Preparation:
    """Everything the booking page shows before the booker commits. Reads only; the
    booking itself re-checks all of it inside its write transaction."""
    premises, fam = await premises_with_family(session, premises_slug)
    quote, decision, refusal, organisation = None, None, None, None
    try:
        me, organisation = await booker(session, person.id, organisation_id)
        quote = await quote_request(
            session,
            rules,
            premises_slug=premises_slug,
            interval=wanted,
            person=me,
            organisation=organisation,
            details=details,
        )
        check_capacity(premises, details)
        decision = rules.assess(
            Request(
                premises,
                wanted,
                me,
                organisation,
                details,
                now,
                await upcoming_count(session, me, organisation, now),
            )
        )
        hits = await collisions(session, premises, fam, wanted, now)
        if hits:
            raise Conflict(hits)
    except CodedError as error:
        refusal = error
    found = Alternatives()
    if suggest and refusal is not None and code_of(refusal) not in ABOUT_THE_BOOKER and wanted.end > wanted.start:
        found = await alternatives(session, premises, wanted, now=now)
    reasons = decision.approval_reasons if decision else ()
    return Preparation(
        premises,
        quote,
        bool(decision and decision.needs_approval),
        tuple((reason, english_reason(rules, wanted, reason)) for reason in reasons),
        refusal,
        found,
        organisation,
    )


def english_reason(rules: HarmonisedRules, wanted: Interval, reason: str) -> str:
    """The engine states approval reasons in Norwegian; each criterion has its English too."""
    criteria = (*approval_criteria(rules.in_force(wanted.start)), *ENGINE_APPROVALS)
    return next((c.rule_en for c in criteria if c.rule_nb == reason), reason)


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
