"""The figures a proposal is judged by, as plain JSON-able data: who got the time, how
much of what was asked was met, where, and who was left with nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from allocation.facts import need_key, tier_key
from allocation.model import Allocation, Round
from allocation.rules import CHILDREN_YOUTH, PriorityRules


def summarise(round: Round, rules: PriorityRules, allocations: Sequence[Allocation]) -> dict:
    tiers = [tier.key for tier in rules.tiers]
    needs = {need_key(need): need for need in round.needs}
    tier_of_need = {key: tier_key(need, rules) for key, need in needs.items()}
    district_of = {premises.slug: premises.district for premises in round.premises}

    minutes_by_need: Counter[tuple[int, int]] = Counter()
    minutes_by_district: Counter[str] = Counter()
    by_rank: Counter[int] = Counter()
    for allocation in allocations:
        minutes_by_need[(allocation.application_id, allocation.need)] += allocation.slot.minutes
        minutes_by_district[district_of.get(allocation.slot.premises, "")] += allocation.slot.minutes
        if allocation.wish is not None:
            by_rank[allocation.wish] += 1

    granted_by_tier = Counter({tier: 0 for tier in tiers})
    asked_by_tier = Counter({tier: 0 for tier in tiers})
    empty_by_tier = Counter({tier: 0 for tier in tiers})
    for key, need in needs.items():
        tier = tier_of_need[key]
        granted_by_tier[tier] += minutes_by_need[key]
        asked_by_tier[tier] += need.minutes_per_week
        empty_by_tier[tier] += minutes_by_need[key] == 0

    granted = sum(minutes_by_need.values())
    to_children_youth = sum(
        minutes for key, minutes in minutes_by_need.items() if key in needs and needs[key].age_group in CHILDREN_YOUTH
    )
    return {
        "needs": len(needs),
        "allocations": len(allocations),
        "minutes_by_tier": {tier: granted_by_tier[tier] for tier in tiers},
        "hours_by_tier": {tier: _hours(granted_by_tier[tier]) for tier in tiers},
        "children_youth_share": _ratio(to_children_youth, granted),
        "demand_met": {
            "overall": _ratio(granted, sum(asked_by_tier.values())),
            "by_tier": {tier: _ratio(granted_by_tier[tier], asked_by_tier[tier]) for tier in tiers},
        },
        "minutes_by_district": dict(sorted(minutes_by_district.items())),
        "wishes_granted_by_rank": [by_rank[rank] for rank in range(max(by_rank, default=-1) + 1)],
        "needs_without_allocation": {
            "count": sum(empty_by_tier.values()),
            "by_tier": {tier: empty_by_tier[tier] for tier in tiers},
        },
    }


# Module-level helpers, because `summarise`'s parameter `round` hides the builtin there.
def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0
