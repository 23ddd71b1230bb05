"""Local (Europe/Oslo) calendar arithmetic for prices.

Instants come in as aware datetimes and are compared in UTC; days, weekends, holidays and
time bands are local wall time. Cutting a booking at local midnights measured in UTC is
what makes a DST day 23 or 25 hours long instead of a wrong 24.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from .errors import PricingError
from .rules import OSLO, RuleSet, TimeBand, local_date

MINUTES_PER_DAY = 24 * 60


@lru_cache(maxsize=64)
def _norwegian_holidays(year: int, language: str) -> dict[date, str]:
    # Sundays are handled as weekend; the calendar gives only the named public holidays.
    return dict(holidays.Norway(years=year, language=language, include_sundays=False).items())


def holiday_name(day: date, language: str = "no") -> str | None:
    """The name of the public holiday on `day`: "Grunnlovsdag" ("no") or "Constitution Day" ("en_US")."""
    return _norwegian_holidays(day.year, language).get(day)


def public_holidays(year: int, language: str = "no") -> list[tuple[date, str]]:
    return sorted(_norwegian_holidays(year, language).items())


def day_kind(day: date) -> str:
    """"weekend_holiday" for Saturday, Sunday and public holidays; otherwise "weekday"."""
    return "weekend_holiday" if day.weekday() >= 5 or holiday_name(day) else "weekday"


def wall_to_utc(day: date, minute: int) -> datetime:
    """The instant of local wall time `minute` past midnight on `day` (1440 = next midnight).

    A wall time skipped by DST is read with the offset before the change (fold=0), the same
    way on both sides of a band boundary, so bands still meet without a gap.
    """
    if minute >= MINUTES_PER_DAY:
        return wall_to_utc(day + timedelta(days=1), minute - MINUTES_PER_DAY)
    wall = datetime.combine(day, time(minute // 60, minute % 60), OSLO)
    return wall.astimezone(UTC)


def is_regular_day(day: date) -> bool:
    """True when the local day is 24 hours long (not a DST change day)."""
    return wall_to_utc(day, MINUTES_PER_DAY) - wall_to_utc(day, 0) == timedelta(hours=24)


def require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise PricingError("naive_datetime", "Tidspunktet mangler tidssone.", "The time has no time zone.")


def require_interval(start: datetime, end: datetime) -> None:
    require_aware(start, end)
    if end <= start:
        raise PricingError("invalid_interval", "Slutt må være etter start.", "The end must be after the start.")


@dataclass(frozen=True)
class BandPortion:
    """The part of a booking that falls in one time band on one local day."""

    band: TimeBand
    day: date
    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def band_portions(start: datetime, end: datetime, rule_set: RuleSet) -> Iterator[BandPortion]:
    """Cut [start, end) at local midnights and band boundaries, in time order."""
    require_interval(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    day = local_date(start)
    while wall_to_utc(day, 0) < end:
        bands = rule_set.bands_for(day_kind(day))
        edges = [wall_to_utc(day, band.start_minute) for band in bands] + [wall_to_utc(day, MINUTES_PER_DAY)]
        # Two wall times inside a skipped DST hour can map out of order; keep edges monotone.
        for i in range(1, len(edges)):
            edges[i] = max(edges[i], edges[i - 1])
        for band, band_start, band_end in zip(bands, edges, edges[1:]):
            portion_start, portion_end = max(band_start, start), min(band_end, end)
            if portion_start < portion_end:
                yield BandPortion(band, day, portion_start, portion_end)
        day += timedelta(days=1)
