"""The priority rules the allocation tests use, built directly (the rule-set TOML's
`[allocation]` section is parsed elsewhere), and small builders for hand-worked rounds."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
# Plain `pytest` does not put the project root on sys.path and the package is not installed.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from allocation import Need, PriorityRules, RoundPremises, Slot, Tier, TierCondition  # noqa: E402

RULES = PriorityRules(
    tiers=(
        Tier(
            "children_youth",
            "Barn og unge",
            "Children and youth",
            match_any=(
                TierCondition(age_groups=("under_13", "13_19"), based_in_municipality=True),
                TierCondition(disability=True, based_in_municipality=True),
            ),
        ),
        Tier(
            "adults_local", "Voksne i kommunen", "Local adults", match_any=(TierCondition(based_in_municipality=True),)
        ),
        Tier("others", "Andre", "Others"),
    ),
    core_time_end="20:30",
    core_time_age_groups=("under_13",),
    hall_sport_first=True,
    continuity_weight=3,
    participants_weight=1,
    wish_rank_weights=(100, 60, 40, 25),
    not_used_limit=3,
)

MONDAY, TUESDAY = 0, 1
EVENING = ((16 * 60, 22 * 60 + 30),)


def at(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def slot(premises: str, start: str, end: str, weekday: int = MONDAY) -> Slot:
    return Slot(premises, weekday, at(start), at(end))


def hall(slug: str, units: tuple[str, ...] | None = None, **fields) -> RoundPremises:
    fields.setdefault("seasonal_hours", {MONDAY: EVENING, TUESDAY: EVENING})
    return RoundPremises(slug=slug, units=frozenset(units or (slug,)), **fields)


def room(slug: str, **fields) -> RoundPremises:
    return hall(slug, is_hall=False, **fields)


def need(
    application_id: int,
    *wishes: Slot,
    index: int = 0,
    organisation: str | None = None,
    age_group: str = "adults",
    minutes: int | None = None,
    hall_sport: bool = True,
    disability: bool = False,
    participants: int = 10,
    local: bool = True,
) -> Need:
    return Need(
        application_id=application_id,
        index=index,
        organisation=organisation or f"org-{application_id}",
        activity="håndball" if hall_sport else "dans",
        hall_sport=hall_sport,
        age_group=age_group,
        disability=disability,
        participants=participants,
        minutes_per_week=minutes if minutes is not None else max(w.minutes for w in wishes),
        wishes=tuple(wishes),
        based_in_municipality=local,
    )


def granted(proposal) -> dict[int, list[Slot]]:
    """The slots each application got (the tests give each application one need unless
    they say otherwise), in the proposal's order."""
    slots: dict[int, list[Slot]] = {}
    for allocation in proposal.allocations:
        slots.setdefault(allocation.application_id, []).append(allocation.slot)
    return slots


def why_not(proposal, application_id: int, wish: int, need: int = 0):
    matches = [u.reasons for u in proposal.unmet if (u.application_id, u.need, u.wish) == (application_id, need, wish)]
    assert len(matches) == 1, f"wish {wish} of application {application_id} is not unmet exactly once"
    return matches[0]
