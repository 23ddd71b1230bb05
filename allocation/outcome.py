"""Why each allocation was made and why each wish that was not granted was not: reason
codes worked out from the finished allocations, so they describe what actually happened."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from allocation.facts import breaks_core_time, can_be_let, collide, need_key, same_time, tier_key
from allocation.model import Allocation, Need, Reason, RoundPremises, Slot, Unmet
from allocation.rules import PriorityRules


def granted_reasons(
    need: Need, wish: int | None, slot: Slot, *, pinned: bool, previous: frozenset[tuple[str, Slot]]
) -> tuple[Reason, ...]:
    reasons = []
    if wish == 0:
        reasons.append(Reason("granted_first_wish"))
    elif wish is not None:
        reasons.append(Reason("granted_other_wish", rank=wish))
    if (need.organisation, slot) in previous:
        reasons.append(Reason("continuity"))
    if pinned:
        reasons.append(Reason("pinned_by_staff"))
        if wish is None:
            reasons.append(Reason("moved_by_staff"))
    return tuple(reasons)


def unmet_wishes(
    needs: Sequence[Need],
    premises: Mapping[str, RoundPremises],
    rules: PriorityRules,
    allocations: Sequence[Allocation],
) -> list[Unmet]:
    """Every wish not granted, with all the reasons that apply, most telling first."""
    needs_by_key = {need_key(need): need for need in needs}
    tier_rank = {tier.key: rank for rank, tier in enumerate(rules.tiers)}
    by_need: dict[tuple[int, int], list[Allocation]] = {}
    for allocation in allocations:
        by_need.setdefault((allocation.application_id, allocation.need), []).append(allocation)
    unmet = []
    for need in needs:
        own = by_need.get(need_key(need), [])
        granted_wishes = {allocation.wish for allocation in own}
        others = [a for a in allocations if (a.application_id, a.need) != need_key(need)]
        for wish, slot in enumerate(need.wishes):
            if wish in granted_wishes:
                continue
            reasons = _why_not(need, slot, own, others, needs_by_key, premises, rules, tier_rank)
            unmet.append(Unmet(need.application_id, need.index, wish, reasons))
    return unmet


def _why_not(
    need: Need,
    slot: Slot,
    own: Sequence[Allocation],
    others: Sequence[Allocation],
    needs_by_key: Mapping[tuple[int, int], Need],
    premises: Mapping[str, RoundPremises],
    rules: PriorityRules,
    tier_rank: Mapping[str, int],
) -> tuple[Reason, ...]:
    reasons = []
    here = premises.get(slot.premises)
    if here is None:
        reasons.append(Reason("premises_not_in_round"))
    elif not can_be_let(slot, here):
        reasons.append(Reason("no_seasonal_hours"))
    if breaks_core_time(need, slot, rules):
        reasons.append(Reason("core_time_rule"))
    if sum(allocation.slot.minutes for allocation in own) + slot.minutes > need.minutes_per_week:
        reasons.append(Reason("fair_share_reached"))
    if any(
        same_time(allocation.slot, slot)
        or (here is not None and collide(allocation.slot, premises[allocation.slot.premises], slot, here))
        for allocation in own
    ):
        reasons.append(Reason("overlaps_own_allocation"))
    if here is not None:
        takers = [a for a in others if collide(a.slot, premises[a.slot.premises], slot, here)]
        reasons.extend(_taken_by(need, takers, needs_by_key, premises, rules, tier_rank))
    return tuple(reasons) or (Reason("not_chosen"),)


def _taken_by(
    need: Need,
    takers: Sequence[Allocation],
    needs_by_key: Mapping[tuple[int, int], Need],
    premises: Mapping[str, RoundPremises],
    rules: PriorityRules,
    tier_rank: Mapping[str, int],
) -> list[Reason]:
    """What the allocations holding this time say about why, naming tiers, never clubs."""
    own_tier = tier_rank[tier_key(need, rules)]
    reasons = [
        Reason("lower_tier", tier=tier)
        for tier in sorted({a.tier for a in takers if tier_rank[a.tier] < own_tier}, key=tier_rank.__getitem__)
    ]
    if any(a.pinned for a in takers):
        reasons.append(Reason("pinned_by_staff"))
    same_tier = [a for a in takers if tier_rank[a.tier] == own_tier]
    hall_sport_takers = [
        a
        for a in same_tier
        if rules.hall_sport_first
        and not need.hall_sport
        and premises[a.slot.premises].is_hall
        and needs_by_key[(a.application_id, a.need)].hall_sport
    ]
    if hall_sport_takers:
        reasons.append(Reason("hall_sport_first"))
    if len(same_tier) > len(hall_sport_takers):
        reasons.append(Reason("same_tier_priority"))
    return reasons
