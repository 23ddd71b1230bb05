"""A made-up but realistic city round, the same for the same seed: for the benchmark,
sample data and tests that need a round of real size.

Weekday evenings, 60–90 minute wishes on a 30-minute grid, divisible halls with their
halves, mostly local clubs with a mix of age groups, some needs for people with
disabilities, and some slots held last season.
"""

from __future__ import annotations

import random

from allocation.model import Need, Round, RoundPremises, Slot
from allocation.rules import AGE_GROUPS

DISTRICTS = (
    ("bragernes", "Bragernes"),
    ("stromso", "Strømsø"),
    ("konnerud", "Konnerud"),
    ("assiden", "Åssiden"),
    ("fjell", "Fjell"),
    ("gulskogen", "Gulskogen"),
    ("mjondalen", "Mjøndalen"),
    ("svelvik", "Svelvik"),
)
HALL_SPORTS = ("håndball", "basketball", "volleyball", "innebandy", "futsal", "badminton")
OTHER_ACTIVITIES = ("dans", "turn", "korps", "yoga", "judo", "teater")
AGE_GROUP_WEIGHTS = (30, 25, 25, 10, 10)  # in the order of AGE_GROUPS
WEEKDAYS = range(5)  # Monday to Friday
HALL_EVENING = (16 * 60, 22 * 60 + 30)
ROOM_EVENING = (17 * 60, 22 * 60)
GRID = 30
YOUNG_CHILDREN_END = 20 * 60 + 30  # most wishes for the youngest already keep to core time


def city_round(seed: int = 1, needs: int = 250, premises: int = 40) -> Round:
    rng = random.Random(seed)
    places = _premises(premises)
    applied = _needs(rng, needs, places)
    held_last_season = frozenset(
        (need.organisation, need.wishes[rng.choice((0, 0, 1))]) for need in applied if rng.random() < 0.3
    )
    return Round(premises=tuple(places), needs=tuple(applied), previous=held_last_season)


def _premises(count: int) -> list[RoundPremises]:
    """Cycles through a divisible hall (the whole and its two halves), two single halls
    and two rooms, district by district, until there are `count`."""
    places: list[RoundPremises] = []
    number = 0
    while len(places) < count:
        district_slug, district = DISTRICTS[number % len(DISTRICTS)]
        kind = number % 5
        slug = f"{district_slug}-{number + 1}"
        if kind == 0 and count - len(places) >= 3:
            halves = (f"{slug}/a", f"{slug}/b")
            places.append(_hall(f"{slug}-hel", frozenset(halves), district))
            places.extend(_hall(f"{slug}-{half[-1]}", frozenset({half}), district) for half in halves)
        elif kind in (0, 1, 2):
            places.append(_hall(f"{slug}-hall", frozenset({slug}), district))
        else:
            # Every other room needs half an hour to be cleared after use.
            places.append(
                RoundPremises(
                    slug=f"{slug}-sal",
                    units=frozenset({slug}),
                    seasonal_hours=_evenings(ROOM_EVENING),
                    slot_minutes=GRID,
                    buffer_after=GRID if number % 2 else 0,
                    is_hall=False,
                    district=district,
                )
            )
        number += 1
    return places


def _hall(slug: str, units: frozenset[str], district: str) -> RoundPremises:
    return RoundPremises(
        slug=slug,
        units=units,
        seasonal_hours=_evenings(HALL_EVENING),
        slot_minutes=GRID,
        is_hall=True,
        district=district,
    )


def _evenings(window: tuple[int, int]) -> dict[int, tuple[tuple[int, int], ...]]:
    return {weekday: (window,) for weekday in WEEKDAYS}


def _needs(rng: random.Random, count: int, places: list[RoundPremises]) -> list[Need]:
    """Clubs of one to four teams, one application each, until there are `count` needs."""
    halls = [p for p in places if p.is_hall]
    rooms = [p for p in places if not p.is_hall]
    needs: list[Need] = []
    application = 0
    while len(needs) < count:
        application += 1
        hall_club = rng.random() < 0.65
        based_in_municipality = rng.random() < 0.9
        for index in range(min(rng.randint(1, 4), count - len(needs))):
            activity = rng.choice(HALL_SPORTS if hall_club else OTHER_ACTIVITIES)
            age_group = rng.choices(AGE_GROUPS, weights=AGE_GROUP_WEIGHTS)[0]
            pool = halls if hall_club or rng.random() < 0.3 else rooms
            wishes = tuple(_wish(rng, rng.choice(pool), age_group) for _ in range(3))
            minutes = wishes[0].minutes + (wishes[1].minutes if rng.random() < 0.3 else 0)
            needs.append(
                Need(
                    application_id=application,
                    index=index,
                    organisation=f"org-{application:03d}",
                    activity=activity,
                    hall_sport=hall_club,
                    age_group=age_group,
                    disability=rng.random() < 0.05,
                    participants=rng.randint(8, 35),
                    minutes_per_week=minutes,
                    wishes=wishes,
                    based_in_municipality=based_in_municipality,
                )
            )
    return needs


def _wish(rng: random.Random, place: RoundPremises, age_group: str) -> Slot:
    weekday = rng.choice(WEEKDAYS)
    opens, closes = place.seasonal_hours[weekday][0]
    duration = rng.choice((60, 90))
    if age_group == "under_13" and rng.random() < 0.85:
        closes = min(closes, YOUNG_CHILDREN_END)
    start = opens + GRID * rng.randrange((closes - duration - opens) // GRID + 1)
    return Slot(place.slug, weekday, start, start + duration)
