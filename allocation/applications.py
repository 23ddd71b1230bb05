"""Checks on one need of a season application before it is saved, so that what reaches
the allocation round is well formed. Each refusal carries a stable code."""

from __future__ import annotations

from collections.abc import Mapping

from allocation.facts import on_grid, within_seasonal_hours
from allocation.model import Need, RoundPremises
from allocation.reasons import wish_rank
from allocation.rules import AGE_GROUPS, PriorityRules
from booking.domain.errors import DomainError

MAX_PARTICIPANTS = 10_000
MAX_MINUTES_PER_WEEK = 40 * 60


def check_need(need: Need, premises: Mapping[str, RoundPremises], rules: PriorityRules) -> None:
    """Raise the first problem with the need, or return. `rules` belongs to the callers'
    contract (the round's priority rules); none of today's checks depends on it."""
    group = need.index + 1
    if need.age_group not in AGE_GROUPS:
        raise DomainError(
            "invalid_age_group",
            f"Gruppe {group}: velg en aldersgruppe fra listen.",
            f"Group {group}: choose an age group from the list.",
            need=need.index,
            age_group=need.age_group,
        )
    if not need.wishes:
        raise DomainError(
            "no_wishes",
            f"Gruppe {group}: legg inn minst ett ønske om tid.",
            f"Group {group}: add at least one wish for a time.",
            need=need.index,
        )
    if not 1 <= need.participants <= MAX_PARTICIPANTS:
        raise DomainError(
            "invalid_participants",
            f"Gruppe {group}: antall deltakere må være mellom 1 og {MAX_PARTICIPANTS}.",
            f"Group {group}: the number of participants must be between 1 and {MAX_PARTICIPANTS}.",
            need=need.index,
            participants=need.participants,
        )
    if not 0 < need.minutes_per_week <= MAX_MINUTES_PER_WEEK:
        raise DomainError(
            "invalid_hours",
            f"Gruppe {group}: tid per uke må være mer enn 0 og høyst {MAX_MINUTES_PER_WEEK // 60} timer.",
            f"Group {group}: time per week must be more than 0 and at most {MAX_MINUTES_PER_WEEK // 60} hours.",
            need=need.index,
            minutes_per_week=need.minutes_per_week,
        )
    for wish in range(len(need.wishes)):
        _check_wish(need, wish, premises)
    shortest = min(slot.minutes for slot in need.wishes)
    together = sum(slot.minutes for slot in need.wishes)
    if not shortest <= need.minutes_per_week <= together:
        raise DomainError(
            "hours_unfillable",
            f"Gruppe {group}: tiden dere søker om per uke ({_hours(need.minutes_per_week)}) passer "
            f"ikke med ønskene. Den må være minst like lang som det korteste ønsket "
            f"({_hours(shortest)}) og ikke lenger enn alle ønskene til sammen ({_hours(together)}).",
            f"Group {group}: the time you apply for per week ({_hours(need.minutes_per_week, 'en')}) does not "
            f"fit the wishes. It must be at least as long as the shortest wish "
            f"({_hours(shortest, 'en')}) and no longer than all the wishes together "
            f"({_hours(together, 'en')}).",
            need=need.index,
            minutes_per_week=need.minutes_per_week,
            shortest_wish=shortest,
            all_wishes=together,
        )


def _check_wish(need: Need, wish: int, premises: Mapping[str, RoundPremises]) -> None:
    slot = need.wishes[wish]
    where = f"Gruppe {need.index + 1}, {wish + 1}. ønske"
    where_en = f"Group {need.index + 1}, {wish_rank(wish, 'en')}"
    details = {"need": need.index, "wish": wish, "premises": slot.premises}
    if slot.end <= slot.start:
        raise DomainError(
            "end_not_after_start",
            f"{where}: sluttidspunktet må være etter starttidspunktet.",
            f"{where_en}: the end must be after the start.",
            **details,
        )
    here = premises.get(slot.premises)
    if here is None:
        raise DomainError(
            "premises_not_in_round",
            f"{where}: lokalet er ikke med i denne søknadsrunden.",
            f"{where_en}: the premises are not part of this application round.",
            **details,
        )
    if not within_seasonal_hours(slot, here):
        raise DomainError(
            "outside_seasonal_hours",
            f"{where}: tiden er utenfor lokalets sesongtider denne dagen.",
            f"{where_en}: the time is outside the premises' seasonal hours that day.",
            **details,
        )
    if not on_grid(slot, here):
        raise DomainError(
            "off_grid",
            f"{where}: lokalet leies ut i blokker på {here.slot_minutes} minutter; "
            f"{_clock(slot.start)}–{_clock(slot.end)} passer ikke.",
            f"{where_en}: the premises are let in blocks of {here.slot_minutes} minutes; "
            f"{_clock(slot.start)}–{_clock(slot.end)} does not fit.",
            slot_minutes=here.slot_minutes,
            **details,
        )


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _hours(minutes: int, language: str = "nb") -> str:
    whole, rest = divmod(minutes, 60)
    hour = "t" if language == "nb" else "h"
    return f"{whole} {hour} {rest} min" if rest else f"{whole} {hour}"
