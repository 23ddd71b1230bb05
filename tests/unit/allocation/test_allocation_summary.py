"""The figures of a hand-worked proposal."""

from __future__ import annotations

import json

from rules_fixture import RULES, TUESDAY, hall, need, room, slot

from allocation import Round, propose, summarise


def test_summary_of_a_small_round():
    premises = (hall("hall", district="Sentrum"), room("studio", district="Nord"))
    needs = (
        need(1, slot("hall", "18:00", "19:00"), age_group="under_13"),
        need(2, slot("hall", "18:00", "19:00"), slot("studio", "18:00", "19:30"), minutes=90),
        need(3, slot("hall", "18:00", "19:00"), local=False),
        need(
            4,
            slot("hall", "18:00", "19:00", TUESDAY),
            slot("hall", "19:00", "20:00", TUESDAY),
            age_group="13_19",
            minutes=120,
        ),
    )
    round_ = Round(premises=premises, needs=needs)
    proposal = propose(round_, RULES)
    assert proposal.summary == {
        "needs": 4,
        "allocations": 4,
        "minutes_by_tier": {"children_youth": 180, "adults_local": 90, "others": 0},
        "hours_by_tier": {"children_youth": 3.0, "adults_local": 1.5, "others": 0.0},
        "children_youth_share": 0.667,
        "demand_met": {"overall": 0.818, "by_tier": {"children_youth": 1.0, "adults_local": 1.0, "others": 0.0}},
        "minutes_by_district": {"Nord": 90, "Sentrum": 180},
        "wishes_granted_by_rank": [2, 2],
        "needs_without_allocation": {"count": 1, "by_tier": {"children_youth": 0, "adults_local": 0, "others": 1}},
    }
    assert summarise(round_, RULES, proposal.allocations) == proposal.summary
    assert json.loads(json.dumps(proposal.summary)) == proposal.summary


def test_summary_of_nothing_granted_divides_by_nothing():
    round_ = Round(premises=(hall("hall"),), needs=(need(1, slot("hall", "23:00", "23:30")),))
    summary = propose(round_, RULES).summary
    assert summary["children_youth_share"] == 0.0
    assert summary["demand_met"]["overall"] == 0.0
    assert summary["wishes_granted_by_rank"] == []
    assert summary["needs_without_allocation"]["count"] == 1
