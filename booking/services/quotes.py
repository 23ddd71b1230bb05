"""The one way to quote a request: the engine's structural rules first (a time the
engine would refuse gets the engine's error), then the rule set in force on its date."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import Organisation, Person
from booking.domain.availability import check_request
from booking.domain.intervals import Interval
from booking.services.catalogue import closures_for, premises_with_family, rules_of
from booking.services.rulebook import HarmonisedRules, booker_facts
from pricing import BookingDetails


async def quote_request(
    session: AsyncSession,
    rules: HarmonisedRules,
    *,
    premises_slug: str,
    interval: Interval,
    person: Person | None,
    organisation: Organisation | None,
    details: BookingDetails,
    group: str | None = None,
) -> pricing.Quote:
    premises, fam = await premises_with_family(session, premises_slug)
    check_request(rules_of(premises, fam.units), interval, await closures_for(session, premises, fam, interval))
    return pricing.quote(
        rules.facts(premises),
        interval.start,
        interval.end,
        booker_facts(person, organisation),
        details,
        rules.in_force(interval.start),
        group=group,
    )
