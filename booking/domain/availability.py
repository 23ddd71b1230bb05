"""Availability as pure functions: when a premises is open, what is free, and whether
a requested interval obeys the structural rules. No I/O: closures and the slots already
taken are passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

from booking.domain.errors import DomainError
from booking.domain.intervals import Interval, clip, merge, subtract
from booking.domain.premises import PremisesRules
from common.localtime import holiday_name, local_days, minute_instant, to_local


@dataclass(frozen=True)
class ClosureSpan:
    interval: Interval
    reason: str


def _open_on(rules: PremisesRules, day: date) -> bool:
    if rules.season is not None and not rules.season.includes(day):
        return False
    return not (rules.closed_on_public_holidays and holiday_name(day))


def open_intervals(rules: PremisesRules, window: Interval) -> list[Interval]:
    """Opening hours within the season, minus public holidays where the premises closes."""
    spans = []
    for day in local_days(window.start, window.end):
        if not _open_on(rules, day):
            continue
        for opens, closes in rules.opening_hours.windows.get(day.weekday(), ()):
            spans.append(Interval(minute_instant(day, opens), minute_instant(day, closes)))
    return clip(merge(spans), window)


def blocked_by(rules: PremisesRules, taken: Iterable[Interval]) -> list[Interval]:
    """Start-to-end ranges a new booking here must avoid, given slots already taken
    (each already widened by its own buffers): ours must not reach into them either."""
    before, after = timedelta(minutes=rules.buffer_before), timedelta(minutes=rules.buffer_after)
    return [slot.widened(after, before) for slot in taken]


def free_intervals(
    rules: PremisesRules,
    window: Interval,
    closures: Sequence[ClosureSpan],
    taken: Iterable[Interval],
) -> list[Interval]:
    """Where a booking of this premises could be placed inside `window`."""
    return subtract(
        open_intervals(rules, window),
        [c.interval for c in closures] + blocked_by(rules, taken),
    )


def check_request(rules: PremisesRules, wanted: Interval, closures: Sequence[ClosureSpan]) -> None:
    """Raise the first structural rule the request breaks, with its own code."""
    if wanted.end <= wanted.start:
        raise DomainError(
            "end_not_after_start", "Sluttidspunktet må være etter starttidspunktet.", "The end must be after the start."
        )
    for instant in (wanted.start, wanted.end):
        local = to_local(instant)
        if local.second or local.microsecond or (local.hour * 60 + local.minute) % rules.slot_minutes:
            raise DomainError(
                "off_granularity",
                f"{rules.name} leies ut i hele blokker på {rules.slot_minutes} minutter; {local:%H:%M} passer ikke.",
                f"{rules.name} is let in blocks of {rules.slot_minutes} minutes; {local:%H:%M} is off the grid.",
                slot_minutes=rules.slot_minutes,
            )
    minutes = int(wanted.duration.total_seconds() // 60)
    if minutes < rules.min_minutes:
        raise DomainError(
            "too_short",
            f"{rules.name} må leies minst {rules.min_minutes} minutter.",
            f"{rules.name} must be booked for at least {rules.min_minutes} minutes.",
            min_minutes=rules.min_minutes,
        )
    if minutes > rules.max_minutes:
        raise DomainError(
            "too_long",
            f"{rules.name} kan leies høyst {rules.max_minutes // 60} timer om gangen.",
            f"{rules.name} can be booked for at most {rules.max_minutes} minutes at a time.",
            max_minutes=rules.max_minutes,
        )
    days = local_days(wanted.start, wanted.end)
    if rules.season is not None:
        for day in days:
            if not rules.season.includes(day):
                first, last = rules.season.first, rules.season.last
                raise DomainError(
                    "out_of_season",
                    f"{rules.name} er bare åpen i sesongen {first[1]}.{first[0]}.–{last[1]}.{last[0]}.",
                    f"{rules.name} is only open in season "
                    f"({first[0]:02d}-{first[1]:02d} to {last[0]:02d}-{last[1]:02d}).",
                )
    if rules.closed_on_public_holidays:
        for day in days:
            name = holiday_name(day)
            if name:
                raise DomainError(
                    "public_holiday",
                    f"{rules.name} er stengt på helligdager ({name} {day:%d.%m.%Y}).",
                    f"{rules.name} is closed on public holidays ({day.isoformat()}).",
                    holiday=name,
                )
    for closure in closures:
        if closure.interval.overlaps(wanted):
            raise DomainError(
                "closed",
                f"{rules.name} er stengt i dette tidsrommet: {closure.reason}.",
                f"{rules.name} is closed at that time: {closure.reason}.",
                reason=closure.reason,
            )
    if not any(
        span.contains(wanted) for span in open_intervals(rules, wanted.widened(timedelta(days=1), timedelta(days=1)))
    ):
        raise DomainError(
            "outside_opening_hours",
            f"Tidspunktet er utenfor åpningstiden til {rules.name}.",
            f"The time is outside the opening hours of {rules.name}.",
        )


def conflicts(rules: PremisesRules, wanted: Interval, taken: Iterable[Interval]) -> list[Interval]:
    """The taken slots a request collides with, buffers included: those overlapping the
    range it would claim (a slot widened by our buffers overlaps `wanted` exactly when
    the slot overlaps `wanted` widened by them)."""
    claim = occupied(rules, wanted)
    return [slot for slot in taken if slot.overlaps(claim)]


def occupied(rules: PremisesRules, wanted: Interval) -> Interval:
    """The range a booking claims in the database: itself plus its buffers."""
    return wanted.widened(timedelta(minutes=rules.buffer_before), timedelta(minutes=rules.buffer_after))
