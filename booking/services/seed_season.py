"""The sample allocation round: the coming season (mid-August to mid-June) over the
sample halls and gyms, open for applications, with about 30 applications from the sample
organisations, so `make run` shows a realistic proposal. Drawn from a fixed seed;
a second run finds the round and adds nothing."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from dateutil.easter import easter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Premises, Season
from booking.domain.premises import WEEKDAYS
from booking.services import seasons
from booking.services.rulebook import HarmonisedRules
from common.localtime import resolve_local, to_local

WEEKDAY_HOURS = ("16:00", "22:00")  # every sample hall and gym is open then on weekdays
ACTIVITIES = [
    ("Håndball", True),
    ("Fotball (innendørs)", True),
    ("Basketball", True),
    ("Volleyball", True),
    ("Innebandy", True),
    ("Turn", True),
    ("Futsal", True),
    ("Badminton", True),
    ("Dans", False),
    ("Seniortrim", False),
    ("Yoga", False),
    ("Kampsport", False),
]
AGE_GROUPS = ["under_13", "under_13", "13_19", "13_19", "adults", "seniors", "mixed"]


def coming_season(today: date) -> tuple[date, date, date]:
    """(first day, last day, last day to apply): the school year that starts next August,
    or the one after when this year's is less than three months away."""
    year = today.year + (1 if today.month >= 5 else 0)
    starts = date(year, 8, 15) + timedelta(days=(7 - date(year, 8, 15).weekday()) % 7)
    return starts, date(year + 1, 6, 15), starts - timedelta(days=60)


def school_holidays(starts: date, ends: date) -> tuple[tuple[date, date], ...]:
    """Autumn break (week 40), Christmas, winter break (week 8) and Easter week."""

    def week(year: int, number: int) -> tuple[date, date]:
        monday = date.fromisocalendar(year, number, 1)
        return monday, monday + timedelta(days=6)

    easter_monday = easter(ends.year) + timedelta(days=1)
    return (
        week(starts.year, 40),
        (date(starts.year, 12, 20), date(ends.year, 1, 3)),
        week(ends.year, 8),
        (easter_monday - timedelta(days=7), easter_monday),
    )


def _wish(rng: random.Random, place: Premises, age_group: str) -> dict:
    step = place.slot_minutes
    length = rng.choice([60, 90, 120]) // step * step or step
    latest = (20 * 60 + 30 if age_group == "under_13" else 22 * 60) - length
    start = rng.randrange(16 * 60, latest + 1, step)
    return {
        "premises": place.slug,
        "weekday": WEEKDAYS[rng.randrange(5)],
        "start": _clock(start),
        "end": _clock(start + length),
    }


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def sample_needs(rng: random.Random, halls: list[Premises]) -> list[dict]:
    needs = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        activity, hall_sport = rng.choice(ACTIVITIES)
        age_group = rng.choice(AGE_GROUPS)
        wishes = [_wish(rng, rng.choice(halls), age_group) for _ in range(3)]
        shortest = min(
            (int(w["end"][:2]) * 60 + int(w["end"][3:])) - (int(w["start"][:2]) * 60 + int(w["start"][3:]))
            for w in wishes
        )
        needs.append(
            {
                "activity": activity,
                "hall_sport": hall_sport,
                "age_group": age_group,
                "disability": rng.random() < 0.08,
                "participants": rng.randint(8, 40),
                "hours_per_week": shortest / 60 * rng.choice([1, 1, 2]),
                "wishes": wishes,
            }
        )
    return needs


async def seed_round(
    session: AsyncSession,
    *,
    rules: HarmonisedRules,
    now: datetime,
    delegates: list[tuple[int, int]],
    applications: int = 30,
) -> int:
    """The sample round and its applications; returns how many applications were made."""
    starts, ends, last_day = coming_season(to_local(now).date())
    name = f"Sesong {starts.year}/{ends.year % 100:02d} – haller og gymsaler"
    if await session.scalar(select(Season.id).where(Season.name == name)) is not None:
        return 0
    halls = list(
        (await session.execute(select(Premises).where(Premises.kind == "hall").order_by(Premises.slug))).scalars()
    )
    priority = rules.in_force(starts).allocation
    if not halls or priority is None:
        return 0
    hours = {day: ["-".join(WEEKDAY_HOURS)] for day in WEEKDAYS[:5]}
    season = await seasons.create_season(
        session,
        seasons.SeasonSetup(
            name=name,
            starts=starts,
            ends=ends,
            application_deadline=resolve_local(datetime.combine(last_day, time(23, 59))),
            premises=tuple(h.slug for h in halls),
            seasonal_hours=hours,
            excluded=school_holidays(starts, ends),
        ),
        actor_id=None,
        now=now,
    )
    await seasons.move_season(session, season.id, "open", now=now)
    rng = random.Random(2026)
    made = 0
    first_delegate = {organisation: person for person, organisation in reversed(delegates)}
    for organisation_id, person_id in list(first_delegate.items())[::-1][:applications]:
        await seasons.submit_application(
            session,
            season.id,
            person_id=person_id,
            organisation_id=organisation_id,
            needs=sample_needs(rng, halls),
            rules=priority,
            now=now,
        )
        made += 1
    return made
