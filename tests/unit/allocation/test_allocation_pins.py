"""Staff pins: kept exactly as set, on or off the wishes, and a re-run keeps them."""

from __future__ import annotations

import pytest
from rules_fixture import RULES, TUESDAY, granted, hall, need, slot, why_not

from allocation import Pin, Reason, Round, propose
from booking.domain.errors import DomainError

HALL = hall("hall")
EVENING = slot("hall", "18:00", "19:00")
LATER = slot("hall", "19:00", "20:00")
MOVED = slot("hall", "20:00", "21:00", TUESDAY)


def test_a_pin_on_a_wish_is_kept_and_says_which_wish():
    adults = need(1, EVENING, LATER, minutes=60)
    proposal = propose(Round(premises=(HALL,), needs=(adults,), pins=(Pin(1, 0, LATER),)), RULES)
    [allocation] = proposal.allocations
    assert (allocation.slot, allocation.wish, allocation.pinned) == (LATER, 1, True)
    assert allocation.reasons == (Reason("granted_other_wish", rank=1), Reason("pinned_by_staff"))
    assert why_not(proposal, 1, 0) == (Reason("fair_share_reached"),)


def test_a_pin_moved_off_the_wishes_beats_a_higher_tier():
    adults = need(1, EVENING, minutes=60)
    children = need(2, MOVED, age_group="13_19")
    proposal = propose(Round(premises=(HALL,), needs=(adults, children), pins=(Pin(1, 0, MOVED),)), RULES)
    [allocation] = proposal.allocations
    assert (allocation.application_id, allocation.slot, allocation.wish) == (1, MOVED, None)
    assert allocation.tier == "adults_local"
    assert allocation.reasons == (Reason("pinned_by_staff"), Reason("moved_by_staff"))
    assert why_not(proposal, 1, 0) == (Reason("fair_share_reached"),)
    assert why_not(proposal, 2, 0) == (Reason("pinned_by_staff"),)


def test_pinned_minutes_count_towards_what_was_asked():
    adults = need(1, EVENING, LATER, minutes=120)
    proposal = propose(Round(premises=(HALL,), needs=(adults,), pins=(Pin(1, 0, MOVED),)), RULES)
    assert granted(proposal) == {1: [EVENING, MOVED]}
    assert why_not(proposal, 1, 1) == (Reason("fair_share_reached"),)


def test_a_rerun_with_the_proposal_pinned_keeps_every_allocation():
    first_round = Round(premises=(HALL,), needs=(need(1, EVENING), need(2, LATER, participants=20)))
    first = propose(first_round, RULES)
    pins = tuple(Pin(a.application_id, a.need, a.slot) for a in first.allocations)
    late_children = need(3, LATER, age_group="13_19")
    rerun = propose(Round(premises=(HALL,), needs=(*first_round.needs, late_children), pins=pins), RULES)
    assert granted(rerun) == granted(first) == {1: [EVENING], 2: [LATER]}
    assert all(a.pinned and a.reasons[-1] == Reason("pinned_by_staff") for a in rerun.allocations)
    assert [a.wish for a in rerun.allocations] == [0, 0]
    assert why_not(rerun, 3, 0) == (Reason("pinned_by_staff"),)
    without_pins = propose(Round(premises=(HALL,), needs=(*first_round.needs, late_children)), RULES)
    assert granted(without_pins) == {1: [EVENING], 3: [LATER]}


@pytest.mark.parametrize(
    ("pins", "code"),
    [
        ((Pin(1, 0, EVENING), Pin(2, 0, slot("hall", "18:30", "19:30"))), "pins_overlap"),
        ((Pin(1, 0, EVENING), Pin(1, 0, slot("other", "18:30", "19:30"))), "pins_overlap"),
        ((Pin(9, 0, EVENING),), "pin_without_need"),
        ((Pin(1, 0, slot("nowhere", "18:00", "19:00")),), "pin_premises_not_in_round"),
    ],
)
def test_pins_that_cannot_hold_are_refused(pins, code):
    round_ = Round(premises=(HALL, hall("other")), needs=(need(1, EVENING), need(2, LATER)), pins=pins)
    with pytest.raises(DomainError) as refused:
        propose(round_, RULES)
    assert refused.value.code == code
