"""Submitting a booking or a weekly series: the one use case behind the booking pages
and the JSON API, which only read their input and present the outcome.

One booking: one write transaction reads once, decides in pure code (the engine's
checks, the rules, then how the price is paid) and writes; its preview (`preview_booking`)
is the same read and the same decision without the write. A series is decided the same
way; its preview is the same decision without the write, and gives the total that
decides how the series can be paid."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import Booking, Organisation, Person
from booking.domain.availability import check_request
from booking.domain.intervals import Interval
from booking.domain.lifecycle import Status
from booking.domain.recurrence import WeeklyPattern
from booking.services.bookings import ChooseMethod, NewBooking, Situation, book, decide, read_situation
from booking.services.lending import Responsible
from booking.services.payments import PaymentChoices, allowed_by_rules, payment_choices
from booking.services.rulebook import HarmonisedRules
from booking.services.self_service import checked_payment
from booking.services.series import SeriesResult, create_series
from booking.settings import Settings
from common.errors import CodedError
from pricing import BookingDetails


def payment_options(
    settings: Settings, rules: HarmonisedRules, situation: Situation, new: NewBooking, total: Decimal
) -> PaymentChoices:
    """How this booker may pay this price: what the rules let their customer group use,
    less what the configured providers cannot take."""
    allowed = allowed_by_rules(
        rules, start=new.start, person=situation.person, organisation=situation.organisation, details=new.details
    )
    return payment_choices(settings, total=total, organisation=situation.organisation, allowed=allowed)


def paid_as_asked(settings: Settings, rules: HarmonisedRules) -> ChooseMethod:
    """How a booking is paid: the method the booker asked for if the rules and the
    configured providers allow it, the only one there is when none was asked for, or a
    refusal naming what is possible (`checked_payment`)."""

    def choose(situation: Situation, new: NewBooking, total: Decimal) -> str | None:
        return checked_payment(payment_options(settings, rules, situation, new, total), new.payment_method)

    return choose


async def submit_booking(
    session: AsyncSession,
    settings: Settings,
    rules: HarmonisedRules,
    new: NewBooking,
    responsible: Responsible,
    *,
    now: datetime,
) -> tuple[Booking, bool]:
    """(the booking, made now?). `new.payment_method` is what the booker asked for (None:
    the only method there is). The same request again under its idempotency key answers
    with the booking made the first time."""
    return await book(
        session,
        replace(new, responsible=responsible),
        rules=rules,
        now=now,
        choose_method=paid_as_asked(settings, rules),
    )


@dataclass(frozen=True)
class Preview:
    """What submitting a booking would do, nothing written: its price, whether staff must
    approve it and why, or the refusal; and how the price can be paid."""

    quote: pricing.Quote | None = None  # also beside a refusal, once the time itself can be had
    needs_approval: bool = False
    approval_reasons: tuple[tuple[str, str], ...] = ()  # (Norwegian, English)
    refusal: CodedError | None = None
    payment: PaymentChoices | None = None  # with the quote


async def preview_booking(
    session: AsyncSession,
    settings: Settings,
    rules: HarmonisedRules,
    new: NewBooking,
    *,
    now: datetime,
) -> Preview:
    """`submit_booking` without the write: the same read (`read_situation`) and the same
    pure decision (`decide`), before a payment method is chosen. A refusal keeps the
    quote when the time itself can be had (opening hours, closures): the booker sees what
    it would cost beside why it cannot be booked."""
    wanted = Interval(new.start, new.end)
    new = replace(new, payment_method=None)
    try:
        situation = await read_situation(session, new.premises_slug, new.person_id, new.organisation_id, wanted, now)
        check_request(situation.structure, wanted, situation.closures)
        quote = rules.quote(situation.premises, wanted, situation.person, situation.organisation, new.details)
    except CodedError as refusal:  # about the booker or the time itself: nothing to price
        return Preview(refusal=refusal)
    payment = payment_options(settings, rules, situation, new, quote.total)
    try:
        placement = decide(situation, new, rules, now)
    except CodedError as refusal:
        return Preview(quote, refusal=refusal, payment=payment)
    return Preview(
        quote,
        placement.status is Status.REQUESTED,
        rules.reasons_of_codes(placement.reason_codes, wanted.start) or (),
        payment=payment,
    )


@dataclass(frozen=True)
class SeriesSubmission:
    premises_slug: str
    pattern: WeeklyPattern
    person: Person
    organisation: Organisation | None  # one the person is a delegate of, or None (self-organised)
    details: BookingDetails
    responsible: Responsible
    payment_method: str | None = None  # as asked; None: the only method there is
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SeriesSubmitted:
    result: SeriesResult
    payment: PaymentChoices  # how the dates that can be booked can be paid together


async def submit_series(
    session: AsyncSession,
    settings: Settings,
    rules: HarmonisedRules,
    asked: SeriesSubmission,
    *,
    now: datetime,
    preview: bool,
) -> SeriesSubmitted:
    """Preview every date (its result and price, nothing written) and how the total can be
    paid; unless `preview`, book the dates that are free, paid as asked."""
    wanted = dict(
        premises_slug=asked.premises_slug,
        pattern=asked.pattern,
        person_id=asked.person.id,
        organisation_id=asked.organisation.id if asked.organisation else None,
        details=asked.details,
        rules=rules,
        now=now,
    )
    result = await create_series(session, **wanted, preview=True)
    allowed = allowed_by_rules(
        rules,
        start=asked.pattern.first_date,
        person=asked.person,
        organisation=asked.organisation,
        details=asked.details,
    )
    payment = payment_choices(settings, total=result.total, organisation=asked.organisation, allowed=allowed)
    if not preview:
        result = await create_series(
            session,
            **wanted,
            payment_method=checked_payment(payment, asked.payment_method),
            idempotency_key=asked.idempotency_key,
            responsible=asked.responsible,
        )
    return SeriesSubmitted(result, payment)
