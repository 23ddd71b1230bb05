"""Small builders shared by the domain unit tests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from booking.domain.intervals import Interval
from booking.domain.premises import OpeningHours, PremisesRules
from common.localtime import OSLO, UTC, resolve_local

SPRING_FORWARD = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST
FALL_BACK = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET

EVERY_DAY_8_TO_22 = OpeningHours.parse({d: ["08:00-22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def oslo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """The UTC instant of an (existing, unambiguous) Oslo wall time."""
    return resolve_local(datetime(year, month, day, hour, minute))


def local_span(day: date, start: str, end: str) -> Interval:
    """[start, end) in Oslo wall time on one day; end "24:00" is the next midnight."""

    def at(text: str) -> datetime:
        if text == "24:00":
            return resolve_local(datetime.combine(day + timedelta(days=1), time(0)))
        return resolve_local(datetime.combine(day, time.fromisoformat(text)))

    return Interval(at(start), at(end))


def make_rules(**overrides) -> PremisesRules:
    values = dict(
        slug="gymsal",
        name="Gymsal",
        kind="hall",
        opening_hours=EVERY_DAY_8_TO_22,
        slot_minutes=15,
        min_minutes=30,
        max_minutes=720,
    )
    values.update(overrides)
    return PremisesRules(**values)


def local_hour(instant: datetime) -> int:
    return instant.astimezone(OSLO).hour
