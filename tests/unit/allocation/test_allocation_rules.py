"""One small hand-worked round per priority rule within a tier."""

from __future__ import annotations

from dataclasses import replace

from rules_fixture import RULES, TUESDAY, granted, hall, need, room, slot, why_not

from allocation import Reason, Round, propose

HALL = hall("hall")
EVENING = slot("hall", "18:00", "19:00")
LATER = slot("hall", "19:00", "20:00")


def test_hall_sports_go_first_in_halls_even_against_a_much_larger_group():
    dance = need(1, EVENING, hall_sport=False, participants=80)
    handball = need(2, EVENING, hall_sport=True, participants=10)
    proposal = propose(Round(premises=(HALL,), needs=(dance, handball)), RULES)
    assert granted(proposal) == {2: [EVENING]}
    assert why_not(proposal, 1, 0) == (Reason("hall_sport_first"),)


def test_once_everyone_is_served_a_hall_sport_still_weighs_more_in_a_hall():
    """Both clubs have a time in a hall either way (the handball club's other team on
    Tuesday); the hall sport's bonus in halls decides who has the hall at six, where
    otherwise the handball team's longer room slot would win."""
    studio_long = slot("studio", "18:00", "19:30")
    dance = need(1, EVENING, LATER, hall_sport=False, minutes=60)
    handball = need(2, EVENING, studio_long, hall_sport=True, minutes=90)
    other_handball_team = need(2, slot("hall", "18:00", "19:00", TUESDAY), index=1)
    round_ = Round(premises=(HALL, room("studio")), needs=(dance, handball, other_handball_team))
    proposal = propose(round_, RULES)
    tuesday = slot("hall", "18:00", "19:00", TUESDAY)
    assert granted(proposal) == {1: [LATER], 2: [EVENING, tuesday]}
    assert why_not(proposal, 1, 0) == (Reason("fair_share_reached"), Reason("hall_sport_first"))
    without_rule = propose(round_, replace(RULES, hall_sport_first=False))
    assert granted(without_rule) == {1: [EVENING], 2: [studio_long, tuesday]}


def test_without_the_hall_sport_rule_the_larger_group_gets_the_hall():
    dance = need(1, EVENING, hall_sport=False, participants=30)
    handball = need(2, EVENING, hall_sport=True, participants=10)
    proposal = propose(Round(premises=(HALL,), needs=(dance, handball)), replace(RULES, hall_sport_first=False))
    assert granted(proposal) == {1: [EVENING]}
    assert why_not(proposal, 2, 0) == (Reason("same_tier_priority"),)


def test_hall_sports_have_no_precedence_in_a_room_that_is_not_a_hall():
    studio = slot("studio", "18:00", "19:00")
    dance = need(1, studio, hall_sport=False, participants=30)
    handball = need(2, studio, hall_sport=True, participants=10)
    proposal = propose(Round(premises=(room("studio"),), needs=(dance, handball)), RULES)
    assert granted(proposal) == {1: [studio]}
    assert why_not(proposal, 2, 0) == (Reason("same_tier_priority"),)


def test_core_time_young_children_finish_by_half_past_eight():
    late, early = slot("hall", "20:00", "21:00"), slot("hall", "19:30", "20:30")
    children = need(1, late, early, age_group="under_13", minutes=60)
    youth = need(2, slot("hall", "20:30", "21:30", TUESDAY), age_group="13_19")
    proposal = propose(Round(premises=(HALL,), needs=(children, youth)), RULES)
    assert granted(proposal) == {1: [early], 2: [slot("hall", "20:30", "21:30", TUESDAY)]}
    assert proposal.allocations[0].reasons == (Reason("granted_other_wish", rank=1),)
    assert why_not(proposal, 1, 0) == (
        Reason("core_time_rule"),
        Reason("fair_share_reached"),
        Reason("overlaps_own_allocation"),
    )


def test_fairness_a_club_gets_no_second_slot_while_another_club_of_its_tier_has_none():
    """Club 1 has two teams, the second large; club 2 one small team wanting the same time.
    (Not hall sports, so that the hall-sport rule does not do the work.)"""
    first_team = need(1, EVENING, index=0, hall_sport=False)
    large_second_team = need(1, LATER, index=1, participants=40, hall_sport=False)
    small_club = need(2, LATER, participants=5, hall_sport=False)
    proposal = propose(Round(premises=(HALL,), needs=(first_team, large_second_team, small_club)), RULES)
    assert granted(proposal) == {1: [EVENING], 2: [LATER]}
    assert why_not(proposal, 1, 0, need=1) == (Reason("same_tier_priority"),)


def test_fairness_a_second_slot_is_given_when_the_other_club_is_served_anyway():
    first_team = need(1, EVENING, index=0, hall_sport=False)
    large_second_team = need(1, LATER, index=1, participants=40, hall_sport=False)
    elsewhere = slot("other-hall", "19:00", "20:00")
    small_club = need(2, LATER, elsewhere, participants=5, minutes=60, hall_sport=False)
    premises = (HALL, hall("other-hall"))
    proposal = propose(Round(premises=premises, needs=(first_team, large_second_team, small_club)), RULES)
    assert granted(proposal) == {1: [EVENING, LATER], 2: [elsewhere]}
    assert why_not(proposal, 2, 0) == (
        Reason("fair_share_reached"),
        Reason("overlaps_own_allocation"),
        Reason("same_tier_priority"),
    )


def test_fairness_every_team_of_a_club_before_a_second_slot_for_one_team():
    large_team = need(1, EVENING, LATER, index=0, participants=40, minutes=120, hall_sport=False)
    unavailable = (slot("hall", "22:00", "23:00"), slot("hall", "19:00", "20:00", 2))
    small_team = need(1, *unavailable, LATER, index=1, participants=5, hall_sport=False)
    proposal = propose(Round(premises=(HALL,), needs=(large_team, small_team)), RULES)
    assert [(a.need, a.slot) for a in proposal.allocations] == [(0, EVENING), (1, LATER)]
    assert why_not(proposal, 1, 1, need=0) == (Reason("same_tier_priority"),)


def test_first_wishes_before_second_wishes():
    first = need(1, EVENING, LATER, minutes=60)
    second = need(2, LATER, EVENING, minutes=60)
    proposal = propose(Round(premises=(HALL,), needs=(first, second)), RULES)
    assert granted(proposal) == {1: [EVENING], 2: [LATER]}
    assert [a.reasons for a in proposal.allocations] == [(Reason("granted_first_wish"),)] * 2


def test_a_lower_ranked_wish_is_granted_when_the_first_is_taken():
    children = need(1, EVENING, age_group="13_19")
    adults = need(2, EVENING, LATER, minutes=60)
    proposal = propose(Round(premises=(HALL,), needs=(children, adults)), RULES)
    assert granted(proposal) == {1: [EVENING], 2: [LATER]}
    assert proposal.allocations[1].wish == 1
    assert proposal.allocations[1].reasons == (Reason("granted_other_wish", rank=1),)
    assert why_not(proposal, 2, 0) == (Reason("fair_share_reached"), Reason("lower_tier", tier="children_youth"))


def test_more_active_participants_weigh_more():
    small, large = need(1, EVENING, participants=12), need(2, EVENING, participants=30)
    proposal = propose(Round(premises=(HALL,), needs=(small, large)), RULES)
    assert granted(proposal) == {2: [EVENING]}
    assert why_not(proposal, 1, 0) == (Reason("same_tier_priority"),)


def test_continuity_keeps_last_seasons_slot():
    holder, larger = need(1, EVENING, participants=10), need(2, EVENING, participants=20)
    held = frozenset({("org-1", EVENING)})
    proposal = propose(Round(premises=(HALL,), needs=(holder, larger), previous=held), RULES)
    assert granted(proposal) == {1: [EVENING]}
    assert proposal.allocations[0].reasons == (Reason("granted_first_wish"), Reason("continuity"))
    without_continuity = propose(
        Round(premises=(HALL,), needs=(holder, larger), previous=held), replace(RULES, continuity_weight=0)
    )
    assert granted(without_continuity) == {2: [EVENING]}


def test_never_more_minutes_than_asked():
    tuesday = slot("hall", "18:00", "19:00", TUESDAY)
    proposal = propose(Round(premises=(HALL,), needs=(need(1, EVENING, tuesday, minutes=60),)), RULES)
    assert granted(proposal) == {1: [EVENING]}
    assert why_not(proposal, 1, 1) == (Reason("fair_share_reached"),)
    proposal = propose(Round(premises=(HALL,), needs=(need(1, EVENING, tuesday, minutes=120),)), RULES)
    assert granted(proposal) == {1: [EVENING, tuesday]}


def test_a_wish_longer_than_asked_is_not_granted():
    long_wish = slot("hall", "18:00", "19:30")
    proposal = propose(Round(premises=(HALL,), needs=(need(1, long_wish, LATER, minutes=60),)), RULES)
    assert granted(proposal) == {1: [LATER]}
    assert why_not(proposal, 1, 0) == (Reason("fair_share_reached"), Reason("overlaps_own_allocation"))


def test_a_team_is_in_one_place_at_a_time():
    across_town = slot("other-hall", "18:30", "19:30")
    team = need(1, EVENING, across_town, minutes=120)
    proposal = propose(Round(premises=(HALL, hall("other-hall")), needs=(team,)), RULES)
    assert granted(proposal) == {1: [EVENING]}
    assert why_not(proposal, 1, 1) == (Reason("overlaps_own_allocation"),)


def test_the_whole_of_a_divisible_hall_takes_both_halves():
    whole = hall("big", units=("big/a", "big/b"))
    half_a, half_b = hall("big-a", units=("big/a",)), hall("big-b", units=("big/b",))
    premises = (whole, half_a, half_b)
    in_a, in_b = slot("big-a", "18:00", "19:00"), slot("big-b", "18:00", "19:00")
    children_whole = need(1, slot("big", "18:00", "19:00"), age_group="13_19")
    proposal = propose(Round(premises=premises, needs=(children_whole, need(2, in_a), need(3, in_b))), RULES)
    assert granted(proposal) == {1: [slot("big", "18:00", "19:00")]}
    assert why_not(proposal, 2, 0) == why_not(proposal, 3, 0) == (Reason("lower_tier", tier="children_youth"),)


def test_the_two_halves_are_let_at_once_and_block_the_whole():
    whole = hall("big", units=("big/a", "big/b"))
    premises = (whole, hall("big-a", units=("big/a",)), hall("big-b", units=("big/b",)))
    in_a, in_b = slot("big-a", "18:00", "19:00"), slot("big-b", "18:00", "19:00")
    adults_whole = need(3, slot("big", "18:30", "19:30"), participants=40)
    proposal = propose(
        Round(premises=premises, needs=(need(1, in_a, age_group="13_19"), need(2, in_b), adults_whole)), RULES
    )
    assert granted(proposal) == {1: [in_a], 2: [in_b]}
    assert why_not(proposal, 3, 0) == (Reason("lower_tier", tier="children_youth"), Reason("same_tier_priority"))


def test_buffers_keep_back_to_back_slots_apart():
    rooms = (room("studio", buffer_after=30), room("gym"))
    for place, expected in (
        ("gym", {1: [slot("gym", "18:00", "19:00")], 2: [slot("gym", "19:00", "20:00")]}),
        ("studio", {1: [slot("studio", "18:00", "19:00")]}),
    ):
        larger = need(1, slot(place, "18:00", "19:00"), participants=30)
        smaller = need(2, slot(place, "19:00", "20:00"), participants=10)
        proposal = propose(Round(premises=rooms, needs=(larger, smaller)), RULES)
        assert granted(proposal) == expected, place
    assert why_not(proposal, 2, 0) == (Reason("same_tier_priority"),)


def test_a_buffer_before_reaches_back_into_the_earlier_slot():
    rooms = (room("studio", buffer_before=30),)
    larger = need(1, slot("studio", "19:00", "20:00"), participants=30)
    smaller = need(2, slot("studio", "18:00", "19:00"), participants=10)
    proposal = propose(Round(premises=rooms, needs=(larger, smaller)), RULES)
    assert granted(proposal) == {1: [slot("studio", "19:00", "20:00")]}


def test_only_seasonal_hours_on_the_grid_in_the_round_are_let():
    wishes = (
        slot("elsewhere", "17:00", "18:00"),  # premises not in the round
        slot("hall", "22:00", "23:00", TUESDAY),  # after the hall closes
        slot("hall", "18:15", "19:15"),  # off the 30-minute grid
        slot("hall", "18:00", "19:00", 2),  # no seasonal hours on Wednesdays
        slot("hall", "21:30", "22:30"),  # the last hour of the evening
    )
    proposal = propose(Round(premises=(HALL,), needs=(need(1, *wishes, minutes=300),)), RULES)
    assert granted(proposal) == {1: [slot("hall", "21:30", "22:30")]}
    assert why_not(proposal, 1, 0) == (Reason("premises_not_in_round"),)
    for wish in (1, 2, 3):
        assert why_not(proposal, 1, wish) == (Reason("no_seasonal_hours"),), wish
