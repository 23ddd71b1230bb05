"""Local wall time in Europe/Oslo, exact UTC instants and Norwegian public holidays: the
one module for local time, used by booking, pricing and calendars alike.

Every rule (opening hours, seasons, weekly series, price bands) is local wall time; every
stored instant is UTC. A local time that does not exist (spring forward) is refused; one
that exists twice (fall back) needs an explicit offset."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from common.errors import DomainError

OSLO = ZoneInfo("Europe/Oslo")
UTC = timezone.utc


def resolve_local(local: datetime) -> datetime:
    """A naive Oslo wall time → an aware UTC instant, refusing gaps and ambiguity."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    first = local.replace(tzinfo=OSLO, fold=0)
    second = local.replace(tzinfo=OSLO, fold=1)
    # In a gap, the round trip through UTC lands on another wall time.
    if first.astimezone(UTC).astimezone(OSLO).replace(tzinfo=None) != local:
        raise DomainError(
            "nonexistent_local_time",
            f"Klokkeslettet {local:%H:%M} finnes ikke {local:%d.%m.%Y} i norsk tid "
            "(klokka stilles fram). Velg et annet tidspunkt.",
            f"The local time {local:%Y-%m-%d %H:%M} does not exist in Europe/Oslo (clocks spring forward).",
            local=local.isoformat(),
        )
    if first.utcoffset() != second.utcoffset():
        raise DomainError(
            "ambiguous_local_time",
            f"Klokkeslettet {local:%H:%M} finnes to ganger {local:%d.%m.%Y} (klokka stilles "
            "tilbake). Oppgi tidssone, for eksempel +02:00 eller +01:00.",
            f"The local time {local:%Y-%m-%d %H:%M} occurs twice in Europe/Oslo "
            "(clocks fall back); give an explicit offset such as +02:00 or +01:00.",
            local=local.isoformat(),
        )
    return first.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """ISO 8601; with an offset it is an instant, without one it is Oslo wall time."""
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise DomainError(
            "invalid_datetime",
            f"«{text}» er ikke et gyldig tidspunkt (bruk for eksempel 2026-09-01T18:00).",
            f"{text!r} is not an ISO 8601 date-time.",
        ) from None
    return resolve_local(parsed)


def to_local(instant: datetime) -> datetime:
    return instant.astimezone(OSLO)


def wall_clock_instant(day: date, at: time) -> datetime:
    """The UTC instant of a wall time on a day, for rule boundaries. A boundary inside a
    gap moves forward with the clocks (fold=0), so opening windows stay whole."""
    return datetime.combine(day, at, tzinfo=OSLO).astimezone(UTC)


def local_day_start(day: date) -> datetime:
    return wall_clock_instant(day, time(0))


DAY_MINUTES = 24 * 60


def minute_instant(day: date, minute: int) -> datetime:
    """The UTC instant `minute` minutes past local midnight on the wall clock of `day`, as
    rules count time (1440 is the next midnight); a gap moves forward as wall_clock_instant."""
    days, minute = divmod(minute, DAY_MINUTES)
    return wall_clock_instant(day + timedelta(days=days), time(minute // 60, minute % 60))


def local_days(start: datetime, end: datetime) -> list[date]:
    """The local calendar dates an instant range [start, end) touches."""
    first = to_local(start).date()
    last = to_local(end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@lru_cache(maxsize=128)
def _public_holidays(year: int, language: str) -> dict[date, str]:
    # The package counts every Sunday as a holiday in Norway unless told otherwise;
    # Sundays are weekend days here, and the calendar gives only the named holidays.
    return dict(holidays.Norway(years=year, language=language, include_sundays=False))


def public_holidays(year: int, language: str = "no") -> list[tuple[date, str]]:
    """The year's Norwegian public holidays in date order, named in "no" or "en_US"."""
    return sorted(_public_holidays(year, language).items())


def holiday_name(day: date, language: str = "no") -> str | None:
    """The public holiday on `day`: "Grunnlovsdag" ("no") or "Constitution Day" ("en_US");
    None on an ordinary day."""
    return _public_holidays(day.year, language).get(day)
