"""Price bands in local (Europe/Oslo) time, on the one local-time module
(`common.localtime`).

Instants come in as aware datetimes and are compared in UTC; days, weekends, holidays and
time bands are local wall time. Cutting a booking at local midnights measured in UTC is
what makes a DST day 23 or 25 hours long instead of a wrong 24.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from common.localtime import DAY_MINUTES, holiday_name, minute_instant

from .errors import PricingError
from .rules import RuleSet, TimeBand, local_date


def day_kind(day: date) -> str:
    """ "weekend_holiday" for Saturday, Sunday and public holidays; otherwise "weekday"."""
    return "weekend_holiday" if day.weekday() >= 5 or holiday_name(day) else "weekday"


def is_regular_day(day: date) -> bool:
    """True when the local day is 24 hours long (not a DST change day)."""
    return minute_instant(day, DAY_MINUTES) - minute_instant(day, 0) == timedelta(hours=24)


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
    while minute_instant(day, 0) < end:
        bands = rule_set.bands_for(day_kind(day))
        edges = [minute_instant(day, band.start_minute) for band in bands] + [minute_instant(day, DAY_MINUTES)]
        # Two wall times inside a skipped DST hour can map out of order; keep edges monotone.
        for i in range(1, len(edges)):
            edges[i] = max(edges[i], edges[i - 1])
        for band, band_start, band_end in zip(bands, edges, edges[1:]):
            portion_start, portion_end = max(band_start, start), min(band_end, end)
            if portion_start < portion_end:
                yield BandPortion(band, day, portion_start, portion_end)
        day += timedelta(days=1)
