"""Lending criteria: each refusal has its own code and quotes the rule; approvals; cancellation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pricing_fixtures import ADULTS, CHILDREN, PEOPLE, local, premises_for

from pricing import Booker, BookingDetails, LendingRefusal, PricingError, cancellation_fee, check_lending

NOW = local(2026, 3, 2, 12)  # Monday 2 March 2026, noon


def _check(
    rules, category="gymsal", start=None, hours=2, booker=PEOPLE.person, details=ADULTS, upcoming=0, now=NOW, **place
):
    start = start or NOW + timedelta(days=3)
    return check_lending(
        premises_for(category, **place),
        start,
        start + timedelta(hours=hours),
        booker,
        details,
        rules,
        now=now,
        upcoming_bookings=upcoming,
    )


def _refusal(rules, **kwargs) -> LendingRefusal:
    with pytest.raises(LendingRefusal) as caught:
        _check(rules, **kwargs)
    assert isinstance(caught.value, PricingError) and caught.value.status == 422
    return caught.value


def test_an_ordinary_booking_is_allowed_without_approval(rules):
    decision = _check(rules)
    assert (decision.needs_approval, decision.approval_reasons, decision.hold_minutes) == (False, (), 15)


def test_private_person_too_far_ahead(rules):
    error = _refusal(rules, start=NOW + timedelta(days=91))
    assert error.code == "too_far_ahead"
    assert error.message_nb == "Privatpersoner kan bestille inntil 90 dager fram i tid."
    assert error.message_en == "Private persons can book up to 90 days ahead."


def test_limits_of_booking_ahead(rules):
    assert _check(rules, start=NOW + timedelta(days=90))
    assert _check(rules, start=NOW + timedelta(days=365), booker=PEOPLE.volunteer)
    assert _refusal(rules, start=NOW + timedelta(days=366), booker=PEOPLE.volunteer).code == "too_far_ahead"
    assert _refusal(rules, start=NOW + timedelta(days=91), booker=PEOPLE.commercial).message_nb.startswith(
        "Kommersielle aktører"
    )


def test_too_short_notice(rules):
    error = _refusal(rules, start=NOW + timedelta(hours=1, minutes=59))
    assert error.code == "too_short_notice"
    assert error.message_nb == "Haller må bestilles minst 2 timer før start."
    assert _check(rules, start=NOW + timedelta(hours=2))


def test_outdoor_areas_need_seven_days_notice(rules):
    error = _refusal(rules, category="uteomrade_bane", start=NOW + timedelta(days=6))
    assert error.code == "too_short_notice"
    assert error.message_nb == "Uteområder må bestilles minst 7 dager før start."
    assert _check(rules, category="uteomrade_bane", start=NOW + timedelta(days=7))


def test_start_in_the_past(rules):
    assert _refusal(rules, start=NOW - timedelta(hours=1)).code == "in_the_past"


def test_too_long_for_rules(rules):
    assert _check(rules, hours=12)
    error = _refusal(rules, hours=12.5)
    assert error.code == "too_long_for_rules"
    assert error.message_nb == "En booking kan vare høyst 12 timer."


def test_outdoor_events_may_last_72_hours(rules):
    start = NOW + timedelta(days=10)
    assert _check(rules, category="uteomrade_arrangement", start=start, hours=72)
    error = _refusal(rules, category="uteomrade_arrangement", start=start, hours=73)
    assert error.code == "too_long_for_rules"
    assert "72 timer" in error.message_nb


def test_private_persons_have_at_most_four_upcoming_bookings(rules):
    assert _check(rules, upcoming=3)
    error = _refusal(rules, upcoming=4)
    assert error.code == "quota_exceeded"
    assert error.message_nb == "Privatpersoner kan ha høyst 4 kommende bookinger om gangen."
    assert _check(rules, booker=PEOPLE.volunteer, upcoming=50)  # organisations have no quota


def test_under_18(rules):
    teenager = Booker(date(2008, 3, 3), None)  # turns 18 the day after NOW
    error = _refusal(rules, booker=teenager)
    assert error.code == "under_18"
    assert error.message_nb == "Den som bestiller må være minst 18 år."
    assert _check(rules, booker=Booker(date(2008, 3, 2), None))  # 18 today


def test_unknown_age_is_refused(rules):
    assert _refusal(rules, booker=Booker(None, None)).code == "age_unknown"


def test_alcohol_not_allowed_in_school_premises(rules):
    details = BookingDetails(attendees=30, target_group="adults", alcohol=True)
    error = _refusal(rules, category="gymsal", details=details, department="school")
    assert error.code == "alcohol_not_allowed"
    assert error.message_nb == "Alkohol er ikke tillatt i lokaler som eies av skolene."


def test_alcohol_elsewhere_needs_approval(rules):
    decision = _check(
        rules,
        category="kultursal",
        details=BookingDetails(attendees=30, target_group="adults", alcohol=True),
        department="culture",
    )
    assert decision.needs_approval
    assert decision.approval_reasons == ("Kultursal krever godkjenning.", "Servering av alkohol krever godkjenning.")


@pytest.mark.parametrize(
    ("category", "details", "reasons"),
    [
        ("uteomrade_bane", ADULTS, ("Uteområder krever godkjenning.",)),
        ("kultursal", ADULTS, ("Kultursal krever godkjenning.",)),
        ("idrettshall", BookingDetails(attendees=101), ("Mer enn 100 deltakere krever godkjenning.",)),
        ("idrettshall", BookingDetails(attendees=100), ()),
    ],
)
def test_approval_reasons(rules, category, details, reasons):
    decision = _check(rules, category=category, start=NOW + timedelta(days=8), details=details)
    assert decision.approval_reasons == reasons
    assert decision.needs_approval is bool(reasons)


def test_children_and_youth_book_like_other_organisations(rules):
    assert _check(rules, booker=PEOPLE.youth_club, details=CHILDREN, start=NOW + timedelta(days=200), upcoming=20)


@pytest.mark.parametrize(
    ("hours_before", "fee"),
    [(72, 0), (48, 0), (47, 2147), (1, 2147), (-1, 2147)],
)
def test_cancellation_fee(rules, hours_before, fee):
    start = local(2026, 3, 14, 10)
    amount, rule = cancellation_fee(Decimal("4294"), start, start - timedelta(hours=hours_before), rules)
    assert amount == Decimal(fee)
    assert "48 timer" in rule and "50 %" in rule


def test_cancellation_fee_is_rounded_half_up(rules):
    start = local(2026, 3, 14, 10)
    assert cancellation_fee(Decimal("375"), start, start, rules)[0] == Decimal("188")
