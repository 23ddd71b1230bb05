"""The city-sized sample round: proposed quickly, the same every time whatever the input
order, every hard rule holds, and every wish is either granted or explained."""

from __future__ import annotations

import random
import time
from dataclasses import replace

import pytest
from rules_fixture import RULES

from allocation import REASON_CODES, Pin, Proposal, Round, check_need, city_round, propose
from allocation.facts import breaks_core_time, can_be_let, collide, same_time, tier_key


@pytest.fixture(scope="module")
def city() -> Round:
    return city_round(seed=1)


@pytest.fixture(scope="module")
def proposal(city) -> Proposal:
    started = time.perf_counter()
    result = propose(city, RULES)
    assert time.perf_counter() - started < 30
    return result


def test_the_sample_is_the_same_for_the_same_seed_and_of_the_asked_size(city):
    assert city_round(seed=1) == city
    assert city_round(seed=2) != city
    assert (len(city.premises), len(city.needs)) == (40, 250)
    assert all(len(need.wishes) == 3 for need in city.needs)
    wholes = [p for p in city.premises if len(p.units) == 2]
    assert wholes and all(sum(p.units < whole.units for p in city.premises) == 2 for whole in wholes)
    assert {need.age_group for need in city.needs} == {"under_13", "13_19", "adults", "seniors", "mixed"}
    assert any(need.disability for need in city.needs)
    assert any(not need.based_in_municipality for need in city.needs)
    assert city.previous


def test_every_need_of_the_sample_passes_the_application_checks(city):
    premises = {p.slug: p for p in city.premises}
    for need in city.needs:
        check_need(need, premises, RULES)


def test_every_hard_rule_holds(city, proposal):
    premises = {p.slug: p for p in city.premises}
    needs = {(n.application_id, n.index): n for n in city.needs}
    allocations = proposal.allocations
    for k, first in enumerate(allocations):
        need = needs[(first.application_id, first.need)]
        assert can_be_let(first.slot, premises[first.slot.premises])
        assert not breaks_core_time(need, first.slot, RULES)
        assert first.slot == need.wishes[first.wish]
        for second in allocations[k + 1 :]:
            assert not collide(first.slot, premises[first.slot.premises], second.slot, premises[second.slot.premises])
            if (first.application_id, first.need) == (second.application_id, second.need):
                assert not same_time(first.slot, second.slot)
    for key, need in needs.items():
        assert sum(a.slot.minutes for a in allocations if (a.application_id, a.need) == key) <= need.minutes_per_week


def test_every_wish_is_granted_or_explained_and_lower_tier_names_a_tier_that_took_it(city, proposal):
    premises = {p.slug: p for p in city.premises}
    rank = {tier.key: place for place, tier in enumerate(RULES.tiers)}
    granted = {(a.application_id, a.need, a.wish) for a in proposal.allocations}
    unmet = {(u.application_id, u.need, u.wish): u.reasons for u in proposal.unmet}
    assert len(unmet) == len(proposal.unmet)
    for need in city.needs:
        for wish, wanted in enumerate(need.wishes):
            key = (need.application_id, need.index, wish)
            assert (key in granted) != (key in unmet), key
            if key in granted:
                continue
            assert unmet[key] and all(reason.code in REASON_CODES for reason in unmet[key])
            for reason in unmet[key]:
                if reason.code == "lower_tier":
                    assert rank[reason.tier] < rank[tier_key(need, RULES)]
                    assert any(
                        a.tier == reason.tier
                        and collide(a.slot, premises[a.slot.premises], wanted, premises[wanted.premises])
                        for a in proposal.allocations
                    )
    codes = {reason.code for reasons in unmet.values() for reason in reasons}
    assert {"lower_tier", "same_tier_priority", "fair_share_reached", "core_time_rule"} <= codes


def test_the_same_round_in_any_order_gives_the_same_proposal():
    city = city_round(seed=3, needs=120, premises=20)
    held = propose(city, RULES).allocations[::7]
    pinned = replace(city, pins=tuple(Pin(a.application_id, a.need, a.slot) for a in held))
    shuffle = random.Random(4)
    needs, premises, pins = list(pinned.needs), list(pinned.premises), list(pinned.pins)
    for items in (needs, premises, pins):
        shuffle.shuffle(items)
    shuffled = Round(premises=tuple(premises), needs=tuple(needs), pins=tuple(pins), previous=pinned.previous)
    first, again, reordered = propose(pinned, RULES), propose(pinned, RULES), propose(shuffled, RULES)
    assert first == again == reordered
    assert sum(a.pinned for a in first.allocations) == len(held) > 0
