"""Weekly series in local wall time. Each occurrence is resolved to UTC on its own
date, so 18:00 stays 18:00 in Oslo across both DST changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from dateutil.rrule import rrulestr

from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.domain.premises import WEEKDAYS
from common.localtime import resolve_local

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_OCCURRENCES = 260  # five years of weekly bookings


@dataclass(frozen=True)
class WeeklyPattern:
    weekdays: tuple[int, ...]  # 0 = Monday
    start_time: time
    end_time: time
    first_date: date
    last_date: date
    interval_weeks: int = 1
    skipped: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.end_time <= self.start_time:
            raise DomainError(
                "end_not_after_start", "Sluttid må være etter starttid.", "The end time must be after the start time."
            )
        if self.last_date < self.first_date:
            raise DomainError(
                "invalid_series_range",
                "Siste dato må være etter første dato.",
                "The last date must not be before the first date.",
            )
        if not self.weekdays or any(d not in range(7) for d in self.weekdays):
            raise DomainError("invalid_weekdays", "Velg minst én ukedag.", "Choose at least one weekday.")

    @property
    def rrule(self) -> str:
        days = ",".join(RRULE_DAYS[d] for d in sorted(self.weekdays))
        return f"FREQ=WEEKLY;INTERVAL={self.interval_weeks};BYDAY={days};UNTIL={self.last_date:%Y%m%d}T235959"

    @classmethod
    def from_data(cls, data: dict) -> "WeeklyPattern":
        return cls(
            weekdays=tuple(WEEKDAYS.index(d) for d in data["weekdays"]),
            start_time=time.fromisoformat(data["start_time"]),
            end_time=time.fromisoformat(data["end_time"]),
            first_date=date.fromisoformat(data["first_date"]),
            last_date=date.fromisoformat(data["last_date"]),
            interval_weeks=int(data.get("interval_weeks", 1)),
            skipped=frozenset(date.fromisoformat(d) for d in data.get("skipped", ())),
        )

    def to_data(self) -> dict:
        return {
            "weekdays": [WEEKDAYS[d] for d in sorted(self.weekdays)],
            "start_time": self.start_time.isoformat("minutes"),
            "end_time": self.end_time.isoformat("minutes"),
            "first_date": self.first_date.isoformat(),
            "last_date": self.last_date.isoformat(),
            "interval_weeks": self.interval_weeks,
            "skipped": sorted(d.isoformat() for d in self.skipped),
        }


@dataclass(frozen=True)
class Occurrence:
    day: date
    interval: Interval | None
    error: DomainError | None = None


def occurrence_dates(pattern: WeeklyPattern) -> list[date]:
    start = datetime.combine(pattern.first_date, time(0))
    dates = [d.date() for d in rrulestr(pattern.rrule, dtstart=start)]
    if len(dates) > MAX_OCCURRENCES:
        raise DomainError(
            "series_too_long",
            f"En serie kan ha høyst {MAX_OCCURRENCES} forekomster.",
            f"A series may have at most {MAX_OCCURRENCES} occurrences.",
        )
    return [d for d in dates if d not in pattern.skipped]


def occurrences(pattern: WeeklyPattern) -> list[Occurrence]:
    """Every occurrence's UTC interval, or the error that makes that date impossible
    (a start inside the spring-forward gap, say); the other dates are unaffected."""
    result = []
    for day in occurrence_dates(pattern):
        try:
            interval = Interval(
                resolve_local(datetime.combine(day, pattern.start_time)),
                resolve_local(datetime.combine(day, pattern.end_time)),
            )
        except DomainError as error:
            result.append(Occurrence(day, None, error))
        else:
            result.append(Occurrence(day, interval))
    return result
