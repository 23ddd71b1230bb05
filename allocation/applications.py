"""Checks on one need of a season application before it is saved, so that what reaches
the allocation round is well formed. Each refusal carries a stable code."""
from __future__ import annotations

from collections.abc import Mapping

from allocation.facts import on_grid, within_seasonal_hours
from allocation.model import Need, RoundPremises
from allocation.rules import AGE_GROUPS, PriorityRules
from booking.domain.errors import DomainError

MAX_PARTICIPANTS = 10_000
MAX_MINUTES_PER_WEEK = 40 * 60


def check_need(need: Need, premises: Mapping[str, RoundPremises], rules: PriorityRules) -> None:
    """Raise the first problem with the need, or return. `rules` belongs to the callers'
    contract (the round's priority rules); none of today's checks depends on it."""
    group = need.index + 1
    if need.age_group not in AGE_GROUPS:
        raise DomainError("invalid_age_group", f"Gruppe {group}: velg en aldersgruppe fra listen.",
                          f"Need {need.index}: age group {need.age_group!r} is not one of {AGE_GROUPS}.",
                          need=need.index, age_group=need.age_group)
    if not need.wishes:
        raise DomainError("no_wishes", f"Gruppe {group}: legg inn minst ett ønske om tid.",
                          f"Need {need.index} has no wishes.", need=need.index)
    if not 1 <= need.participants <= MAX_PARTICIPANTS:
        raise DomainError("invalid_participants",
                          f"Gruppe {group}: antall deltakere må være mellom 1 og {MAX_PARTICIPANTS}.",
                          f"Need {need.index}: participants must be 1..{MAX_PARTICIPANTS}, not {need.participants}.",
                          need=need.index, participants=need.participants)
    if not 0 < need.minutes_per_week <= MAX_MINUTES_PER_WEEK:
        raise DomainError("invalid_hours",
                          f"Gruppe {group}: tid per uke må være mer enn 0 og høyst {MAX_MINUTES_PER_WEEK // 60} timer.",
                          f"Need {need.index}: minutes per week must be 1..{MAX_MINUTES_PER_WEEK}, "
                          f"not {need.minutes_per_week}.", need=need.index, minutes_per_week=need.minutes_per_week)
    for wish in range(len(need.wishes)):
        _check_wish(need, wish, premises)
    shortest = min(slot.minutes for slot in need.wishes)
    together = sum(slot.minutes for slot in need.wishes)
    if not shortest <= need.minutes_per_week <= together:
        raise DomainError("hours_unfillable",
                          f"Gruppe {group}: tiden dere søker om per uke ({_hours(need.minutes_per_week)}) passer "
                          f"ikke med ønskene. Den må være minst like lang som det korteste ønsket "
                          f"({_hours(shortest)}) og ikke lenger enn alle ønskene til sammen ({_hours(together)}).",
                          f"Need {need.index}: {need.minutes_per_week} minutes per week cannot be filled from "
                          f"wishes of {shortest} to {together} minutes in all.",
                          need=need.index, minutes_per_week=need.minutes_per_week,
                          shortest_wish=shortest, all_wishes=together)


def _check_wish(need: Need, wish: int, premises: Mapping[str, RoundPremises]) -> None:
    slot = need.wishes[wish]
    where = f"Gruppe {need.index + 1}, {wish + 1}. ønske"
    details = {"need": need.index, "wish": wish, "premises": slot.premises}
    if slot.end <= slot.start:
        raise DomainError("end_not_after_start", f"{where}: sluttidspunktet må være etter starttidspunktet.",
                          f"Need {need.index}, wish {wish}: the end must be after the start.", **details)
    here = premises.get(slot.premises)
    if here is None:
        raise DomainError("premises_not_in_round", f"{where}: lokalet er ikke med i denne søknadsrunden.",
                          f"Need {need.index}, wish {wish}: premises {slot.premises!r} are not in the round.",
                          **details)
    if not within_seasonal_hours(slot, here):
        raise DomainError("outside_seasonal_hours",
                          f"{where}: tiden er utenfor lokalets sesongtider denne dagen.",
                          f"Need {need.index}, wish {wish}: not inside one seasonal-hours window of "
                          f"{slot.premises!r} on weekday {slot.weekday}.", **details)
    if not on_grid(slot, here):
        raise DomainError("off_grid",
                          f"{where}: lokalet leies ut i blokker på {here.slot_minutes} minutter; "
                          f"{_clock(slot.start)}–{_clock(slot.end)} passer ikke.",
                          f"Need {need.index}, wish {wish}: {_clock(slot.start)}-{_clock(slot.end)} is off the "
                          f"{here.slot_minutes}-minute grid of {slot.premises!r}.",
                          slot_minutes=here.slot_minutes, **details)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _hours(minutes: int) -> str:
    whole, rest = divmod(minutes, 60)
    return f"{whole} t {rest} min" if rest else f"{whole} t"
