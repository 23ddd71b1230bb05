"""Properties that must hold for every booking, checked with generated bookings."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pricing_fixtures import CHILDREN, PEOPLE, local, premises_for

from allocation.rules import AGE_GROUPS, PriorityRules, Tier, TierCondition
from common.localtime import OSLO
from pricing import (
    BookingDetails,
    Quote,
    content_hash,
    dump_toml,
    parse_rule_set,
    quote,
    rule_set_from_dict,
    rule_set_to_dict,
)
from pricing.bands import day_kind

FIRST_MINUTE = datetime(2026, 1, 1, tzinfo=OSLO).astimezone(UTC)
MINUTES_IN_TWO_YEARS = 2 * 365 * 24 * 60
CATEGORIES = [
    "moterom",
    "klasserom",
    "spesialrom",
    "gymsal",
    "idrettshall",
    "idrettshall_del",
    "kultursal",
    "uteomrade_bane",
    "uteomrade_arrangement",
]
GROUPS = ["barn_og_unge", "frivillig", "privat", "kommersiell", "kommunal"]
BOOKERS = [PEOPLE.person, PEOPLE.volunteer, PEOPLE.youth_club, PEOPLE.commercial, PEOPLE.municipal, PEOPLE.no_orgnr]

starts = st.integers(0, MINUTES_IN_TWO_YEARS).map(lambda m: FIRST_MINUTE + timedelta(minutes=m))
durations = st.integers(1, 72 * 60).map(lambda m: timedelta(minutes=m))
details = st.builds(
    BookingDetails,
    target_group=st.sampled_from(["children_youth", "adults", "all"]),
    attendees=st.integers(0, 300),
    alcohol=st.booleans(),
)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


@PROPERTY_SETTINGS
@given(
    category=st.sampled_from(CATEGORIES),
    booker=st.sampled_from(BOOKERS),
    start=starts,
    length=durations,
    details=details,
)
def test_never_negative(rules, category, booker, start, length, details):
    result = quote(premises_for(category), start, start + length, booker, details, rules)
    assert result.total >= 0
    assert all(line.amount >= 0 and line.vat >= 0 for line in result.lines)


@PROPERTY_SETTINGS
@given(
    category=st.sampled_from(CATEGORIES),
    group=st.sampled_from(GROUPS),
    start=starts,
    length=durations,
    extra=st.integers(1, 24 * 60).map(lambda m: timedelta(minutes=m)),
    details=details,
)
def test_never_cheaper_when_the_same_booking_gets_longer(rules, category, group, start, length, extra, details):
    shorter = quote(premises_for(category), start, start + length, PEOPLE.person, details, rules, group=group)
    longer = quote(premises_for(category), start, start + length + extra, PEOPLE.person, details, rules, group=group)
    assert longer.total >= shorter.total


@PROPERTY_SETTINGS
@given(
    category=st.sampled_from(CATEGORIES),
    week=st.integers(0, 100),
    weekday=st.integers(0, 4),
    start_minute=st.integers(0, 24 * 60 - 1),
    minutes=st.integers(1, 24 * 60),
    attendees=st.integers(0, 500),
)
def test_children_and_youth_never_pay_in_ordinary_hours(
    rules, category, week, weekday, start_minute, minutes, attendees
):
    day = date(2026, 1, 5) + timedelta(weeks=week, days=weekday)
    assume(day_kind(day) == "weekday")  # not a public holiday
    start, end = _booking(day, start_minute, min(minutes, 24 * 60 - start_minute))  # within that day
    booking = BookingDetails(attendees=attendees, target_group=CHILDREN.target_group)
    result = quote(premises_for(category), start, end, PEOPLE.youth_club, booking, rules)
    assert result.customer_group == "barn_og_unge"
    assert result.total == 0


@PROPERTY_SETTINGS
@given(
    category=st.sampled_from(CATEGORIES),
    group=st.sampled_from(GROUPS),
    week=st.integers(0, 100),
    weekday=st.integers(0, 4),
    weekend_day=st.integers(5, 6),
    start_minute=st.integers(0, 24 * 60 - 1),
    minutes=st.integers(1, 24 * 60),
    details=details,
)
def test_weekend_never_cheaper_than_the_same_weekday_booking(
    rules, category, group, week, weekday, weekend_day, start_minute, minutes, details
):
    monday = date(2026, 1, 5) + timedelta(weeks=week)
    on_weekday = _booking(monday + timedelta(days=weekday), start_minute, minutes)
    on_weekend = _booking(monday + timedelta(days=weekend_day), start_minute, minutes)
    # The same booking: same wall-clock start and length, no DST change inside either, and
    # each entirely on its kind of day (a holiday inside the weekday one is no weekday).
    for start, end in (on_weekday, on_weekend):
        assume(start.astimezone(OSLO).utcoffset() == end.astimezone(OSLO).utcoffset())
    assume(all(day_kind(day) == "weekday" for day in _local_days(*on_weekday)))
    assume(all(day_kind(day) == "weekend_holiday" for day in _local_days(*on_weekend)))
    place = premises_for(category)
    weekday_total = quote(place, *on_weekday, PEOPLE.person, details, rules, group=group).total
    weekend_total = quote(place, *on_weekend, PEOPLE.person, details, rules, group=group).total
    assert weekend_total >= weekday_total


@settings(max_examples=100, deadline=None)
@given(
    category=st.sampled_from(CATEGORIES),
    booker=st.sampled_from(BOOKERS),
    start=starts,
    length=durations,
    details=details,
)
def test_snapshot_round_trip(rules, category, booker, start, length, details):
    result = quote(premises_for(category), start, start + length, booker, details, rules)
    assert Quote.from_snapshot(json.loads(json.dumps(result.to_snapshot()))) == result


age_groups = st.lists(st.sampled_from(AGE_GROUPS), min_size=1, max_size=3, unique=True).map(tuple)
maybe = st.none() | st.booleans()
conditions = st.builds(
    TierCondition, age_groups=st.none() | age_groups, disability=maybe, hall_sport=maybe, based_in_municipality=maybe
).filter(lambda condition: condition != TierCondition())
tier_keys = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
names = st.text(max_size=30)


@st.composite
def priority_rules(draw) -> PriorityRules:
    keys = draw(st.lists(tier_keys, min_size=1, max_size=4, unique=True))
    tiers = [
        Tier(key, draw(names), draw(names), tuple(draw(st.lists(conditions, min_size=1, max_size=3))))
        for key in keys[:-1]
    ]
    tiers.append(Tier(keys[-1], draw(names), draw(names)))  # the last takes everyone else
    end = draw(st.integers(0, 24 * 60))
    return PriorityRules(
        tiers=tuple(tiers),
        core_time_end=f"{end // 60:02d}:{end % 60:02d}",
        core_time_age_groups=draw(age_groups),
        hall_sport_first=draw(st.booleans()),
        continuity_weight=draw(st.integers(0, 1000)),
        participants_weight=draw(st.integers(0, 1000)),
        wish_rank_weights=tuple(sorted(draw(st.lists(st.integers(0, 1000), min_size=1, max_size=6)), reverse=True)),
        not_used_limit=draw(st.integers(1, 50)),
    )


@settings(max_examples=100, deadline=None)
@given(allocation=priority_rules())
def test_allocation_rules_round_trip_through_the_database_form_and_toml(rules, allocation):
    rule_set = dataclasses.replace(rules, allocation=allocation)
    stored = json.loads(json.dumps(rule_set_to_dict(rule_set)))  # as the database keeps it
    assert rule_set_from_dict(stored) == rule_set
    assert parse_rule_set(dump_toml(rule_set)) == rule_set
    assert content_hash(rule_set_from_dict(stored)) == content_hash(rule_set)


def _booking(day: date, start_minute: int, minutes: int) -> tuple[datetime, datetime]:
    start = local(day.year, day.month, day.day, start_minute // 60, start_minute % 60)
    return start, start + timedelta(minutes=minutes)


def _local_days(start: datetime, end: datetime) -> list[date]:
    first, last = start.astimezone(OSLO).date(), (end - timedelta(microseconds=1)).astimezone(OSLO).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
