"""Facts about weekly slots and needs that the solver, its explanations, the summary and
the application checks share, so that all of them agree on what fits and what collides."""

from __future__ import annotations

from allocation.model import Need, RoundPremises, Slot
from allocation.rules import PriorityRules


def minute_of_day(clock: str) -> int:
    """'HH:MM' as minutes after midnight."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def within_seasonal_hours(slot: Slot, premises: RoundPremises) -> bool:
    """Inside one seasonal-hours window of its weekday (two adjacent windows do not join)."""
    return any(
        opens <= slot.start and slot.end <= closes for opens, closes in premises.seasonal_hours.get(slot.weekday, ())
    )


def on_grid(slot: Slot, premises: RoundPremises) -> bool:
    return slot.start % premises.slot_minutes == 0 and slot.end % premises.slot_minutes == 0


def can_be_let(slot: Slot, premises: RoundPremises) -> bool:
    """Whether the premises lets this slot for the season at all."""
    return slot.end > slot.start and within_seasonal_hours(slot, premises) and on_grid(slot, premises)


def occupied(slot: Slot, premises: RoundPremises) -> tuple[int, int]:
    """The minutes a slot holds its units: itself widened by the premises' buffers, as the
    booking engine's exclusion constraint will count it once the slot is published."""
    return slot.start - premises.buffer_before, slot.end + premises.buffer_after


def same_time(first: Slot, second: Slot) -> bool:
    """Whether two slots overlap in time wherever they are (a team is in one place at a time)."""
    return first.weekday == second.weekday and first.start < second.end and second.start < first.end


def collide(first: Slot, first_premises: RoundPremises, second: Slot, second_premises: RoundPremises) -> bool:
    """Whether two slots cannot both be let: a shared unit, the same weekday, buffers included."""
    if first.weekday != second.weekday or not first_premises.units & second_premises.units:
        return False
    first_start, first_end = occupied(first, first_premises)
    second_start, second_end = occupied(second, second_premises)
    return first_start < second_end and second_start < first_end


def breaks_core_time(need: Need, slot: Slot, rules: PriorityRules) -> bool:
    return need.age_group in rules.core_time_age_groups and slot.end > minute_of_day(rules.core_time_end)


def tier_key(need: Need, rules: PriorityRules) -> str:
    return rules.tier_of(
        age_group=need.age_group,
        disability=need.disability,
        hall_sport=need.hall_sport,
        based_in_municipality=need.based_in_municipality,
    ).key


def need_key(need: Need) -> tuple[int, int]:
    """How allocations, unmet wishes and pins name a need."""
    return need.application_id, need.index
