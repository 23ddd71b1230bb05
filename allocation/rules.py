"""The published priority rules for seasonal allocation, as data.

They are part of the harmonised rule set (`[allocation]` in the rule-set TOML, parsed by
`pricing.parsing`), so what "Slik fordeler vi tid" publishes is what the solver applies.
"""

from __future__ import annotations

from dataclasses import dataclass

AGE_GROUPS = ("under_13", "13_19", "adults", "seniors", "mixed")
CHILDREN_YOUTH = ("under_13", "13_19")


@dataclass(frozen=True)
class TierCondition:
    """All the given conditions hold (None: not asked)."""

    age_groups: tuple[str, ...] | None = None  # the need's age group is one of these
    disability: bool | None = None  # the need is for people with disabilities
    hall_sport: bool | None = None
    based_in_municipality: bool | None = None  # the organisation's home

    def holds(self, *, age_group: str, disability: bool, hall_sport: bool, based_in_municipality: bool) -> bool:
        return (
            (self.age_groups is None or age_group in self.age_groups)
            and (self.disability is None or disability == self.disability)
            and (self.hall_sport is None or hall_sport == self.hall_sport)
            and (self.based_in_municipality is None or based_in_municipality == self.based_in_municipality)
        )


@dataclass(frozen=True)
class Tier:
    """A priority tier: a need belongs to the first tier (in rule order) one of whose
    conditions holds. A tier with no conditions takes every need."""

    key: str
    name_nb: str
    name_en: str
    match_any: tuple[TierCondition, ...] = ()


@dataclass(frozen=True)
class PriorityRules:
    tiers: tuple[Tier, ...]  # highest priority first
    core_time_end: str  # "HH:MM": time for the core-time age groups ends by then
    core_time_age_groups: tuple[str, ...]
    hall_sport_first: bool  # in halls, hall sports before other activities of the same tier
    continuity_weight: int  # how much keeping last season's slot counts (0: not at all)
    participants_weight: int  # how much the number of active participants counts (0: not at all)
    wish_rank_weights: tuple[int, ...]  # the value of the 1st, 2nd, … wish; later wishes take the last
    not_used_limit: int  # seasonal dates marked not used before staff are told

    def tier_of(self, *, age_group: str, disability: bool, hall_sport: bool, based_in_municipality: bool) -> Tier:
        for tier in self.tiers:
            if not tier.match_any or any(
                condition.holds(
                    age_group=age_group,
                    disability=disability,
                    hall_sport=hall_sport,
                    based_in_municipality=based_in_municipality,
                )
                for condition in tier.match_any
            ):
                return tier
        return self.tiers[-1]

    def wish_weight(self, rank: int) -> int:
        """The value of a wish by its 0-based rank."""
        return self.wish_rank_weights[min(rank, len(self.wish_rank_weights) - 1)]
