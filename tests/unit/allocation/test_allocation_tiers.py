"""Tiers in rule order: children and youth first (and groups for people with disabilities
with them), local clubs before the others; the loser's reason names the tier that won."""

from __future__ import annotations

from rules_fixture import RULES, granted, hall, need, slot, why_not

from allocation import Reason, Round, propose

HALL = hall("sentrum-hall")
EVENING = slot("sentrum-hall", "18:00", "19:00")


def test_children_get_the_hall_before_a_larger_adult_team():
    adults = need(1, EVENING, age_group="adults", participants=30)
    children = need(2, EVENING, age_group="under_13", participants=8)
    proposal = propose(Round(premises=(HALL,), needs=(adults, children)), RULES)
    assert granted(proposal) == {2: [EVENING]}
    assert proposal.allocations[0].tier == "children_youth"
    assert why_not(proposal, 1, 0) == (Reason("lower_tier", tier="children_youth"),)


def test_a_group_for_people_with_disabilities_goes_with_children_and_youth():
    adults = need(1, EVENING, age_group="adults", participants=30)
    disability = need(2, EVENING, age_group="adults", disability=True, participants=6)
    proposal = propose(Round(premises=(HALL,), needs=(adults, disability)), RULES)
    assert granted(proposal) == {2: [EVENING]}
    assert proposal.allocations[0].tier == "children_youth"
    assert why_not(proposal, 1, 0) == (Reason("lower_tier", tier="children_youth"),)


def test_local_clubs_before_clubs_from_elsewhere_even_for_children():
    visitors = need(1, EVENING, age_group="under_13", local=False, participants=30)
    local_adults = need(2, EVENING, age_group="adults", participants=8)
    proposal = propose(Round(premises=(HALL,), needs=(visitors, local_adults)), RULES)
    assert granted(proposal) == {2: [EVENING]}
    assert proposal.allocations[0].tier == "adults_local"
    assert why_not(proposal, 1, 0) == (Reason("lower_tier", tier="adults_local"),)


def test_each_higher_tier_that_took_part_of_a_wish_is_named_highest_first():
    late = slot("sentrum-hall", "19:00", "20:00")
    visitors = need(1, slot("sentrum-hall", "18:00", "20:00"), local=False)
    children = need(2, EVENING, age_group="13_19")
    local_adults = need(3, late)
    proposal = propose(Round(premises=(HALL,), needs=(visitors, children, local_adults)), RULES)
    assert granted(proposal) == {2: [EVENING], 3: [late]}
    assert why_not(proposal, 1, 0) == (
        Reason("lower_tier", tier="children_youth"),
        Reason("lower_tier", tier="adults_local"),
    )


def test_a_higher_tier_keeps_its_first_wish_rather_than_move_for_a_lower_tier():
    """Strict priority: the lower tier is served only from what the higher tier's best
    allocation leaves, even if the higher tier could have moved to its second wish."""
    other_evening = slot("other-hall", "18:00", "19:00")
    premises = (HALL, hall("other-hall"))
    children = need(1, EVENING, other_evening, age_group="13_19", minutes=60)
    adults_elsewhere = need(2, other_evening, participants=40)
    proposal = propose(Round(premises=premises, needs=(children, adults_elsewhere)), RULES)
    assert granted(proposal) == {1: [EVENING], 2: [other_evening]}
    adults_same_time = need(2, EVENING, participants=40)
    proposal = propose(Round(premises=premises, needs=(children, adults_same_time)), RULES)
    assert granted(proposal) == {1: [EVENING]}
    assert why_not(proposal, 2, 0) == (Reason("lower_tier", tier="children_youth"),)
