"""A price asked for without booking (the API's quote: a customer group or an organisation,
no person, so no lending decision): the engine's structural rules first (a time the engine
would refuse gets the engine's error), then `HarmonisedRules.quote`. The booking page's
preview is the submission itself without the write (`submissions.preview_booking`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import Organisation, Person
from booking.domain.availability import check_request
from booking.domain.intervals import Interval
from booking.services.catalogue import closures_for, premises_with_family, rules_of
from booking.services.rulebook import HarmonisedRules
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
    return rules.quote(premises, interval, person, organisation, details, group=group)
