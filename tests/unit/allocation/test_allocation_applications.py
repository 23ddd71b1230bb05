"""check_need: what one need of an application must be before it is saved."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rules_fixture import RULES, TUESDAY, hall, need, slot

from allocation import check_need
from booking.domain.errors import DomainError

PREMISES = {"hall": hall("hall"), "studio": hall("studio", slot_minutes=60)}
GOOD = need(1, slot("hall", "18:00", "19:00"), slot("hall", "19:00", "20:30", TUESDAY), minutes=90)


def test_a_good_need_passes():
    assert check_need(GOOD, PREMISES, RULES) is None


@pytest.mark.parametrize(
    ("changes", "code", "details"),
    [
        ({"age_group": "toddlers"}, "invalid_age_group", {"need": 0, "age_group": "toddlers"}),
        ({"wishes": ()}, "no_wishes", {"need": 0}),
        ({"participants": 0}, "invalid_participants", {"need": 0, "participants": 0}),
        ({"participants": 10_001}, "invalid_participants", {"need": 0, "participants": 10_001}),
        ({"minutes_per_week": 0}, "invalid_hours", {"need": 0, "minutes_per_week": 0}),
        ({"minutes_per_week": 40 * 60 + 30}, "invalid_hours", {"need": 0, "minutes_per_week": 2430}),
        (
            {"minutes_per_week": 30},
            "hours_unfillable",
            {"need": 0, "minutes_per_week": 30, "shortest_wish": 60, "all_wishes": 150},
        ),
        (
            {"minutes_per_week": 180},
            "hours_unfillable",
            {"need": 0, "minutes_per_week": 180, "shortest_wish": 60, "all_wishes": 150},
        ),
    ],
)
def test_need_level_refusals(changes, code, details):
    with pytest.raises(DomainError) as refused:
        check_need(replace(GOOD, **changes), PREMISES, RULES)
    assert (refused.value.code, refused.value.details) == (code, details)
    assert refused.value.message_nb.startswith("Gruppe 1:")


@pytest.mark.parametrize(
    ("wish", "code", "extra"),
    [
        (slot("hall", "19:00", "19:00"), "end_not_after_start", {}),
        (slot("hall", "20:00", "19:00"), "end_not_after_start", {}),
        (slot("gone", "18:00", "19:00"), "premises_not_in_round", {}),
        (slot("hall", "22:00", "23:00"), "outside_seasonal_hours", {}),
        (slot("hall", "18:00", "19:00", 3), "outside_seasonal_hours", {}),
        (slot("hall", "18:15", "19:15"), "off_grid", {"slot_minutes": 30}),
        (slot("studio", "18:30", "19:30"), "off_grid", {"slot_minutes": 60}),
    ],
)
def test_wish_level_refusals_say_which_wish(wish, code, extra):
    with pytest.raises(DomainError) as refused:
        check_need(replace(GOOD, wishes=(GOOD.wishes[0], wish)), PREMISES, RULES)
    assert refused.value.code == code
    assert refused.value.details == {"need": 0, "wish": 1, "premises": wish.premises, **extra}
    assert refused.value.message_nb.startswith("Gruppe 1, 2. ønske:")


def test_a_wish_must_fit_one_window_not_two_that_touch():
    split_evening = {**PREMISES, "hall": hall("hall", seasonal_hours={0: ((960, 1080), (1080, 1350))})}
    with pytest.raises(DomainError) as refused:
        check_need(need(1, slot("hall", "17:30", "18:30")), split_evening, RULES)
    assert refused.value.code == "outside_seasonal_hours"
