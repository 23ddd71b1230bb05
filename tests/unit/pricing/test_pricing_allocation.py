"""The seasonal-allocation priority rules (`[allocation]`) as part of the rule set: the
defaults, a version without them, validation with the place of each refusal, storing."""

from __future__ import annotations

import copy

import pytest

from allocation.rules import PriorityRules, TierCondition
from pricing import RuleSetError, content_hash, dump_toml, parse_rule_set, rule_set_from_dict, rule_set_to_dict


def _edited(rules, change) -> dict:
    data = copy.deepcopy(rule_set_to_dict(rules))
    change(data["allocation"])
    return data


def _refusal(rules, change) -> RuleSetError:
    with pytest.raises(RuleSetError) as caught:
        rule_set_from_dict(_edited(rules, change))
    return caught.value


def test_default_allocation_rules(rules):
    allocation = rules.allocation
    assert isinstance(allocation, PriorityRules)
    assert [tier.key for tier in allocation.tiers] == ["children_youth", "adults_local", "others"]
    assert allocation.tiers[0].match_any == (
        TierCondition(age_groups=("under_13", "13_19"), based_in_municipality=True),
        TierCondition(disability=True, based_in_municipality=True),
    )
    assert allocation.tiers[-1].match_any == ()
    assert (allocation.core_time_end, allocation.core_time_age_groups, allocation.hall_sport_first) == (
        "20:30",
        ("under_13",),
        True,
    )
    assert (allocation.continuity_weight, allocation.participants_weight, allocation.not_used_limit) == (3, 1, 3)
    assert allocation.wish_rank_weights == (100, 60, 40, 25)


@pytest.mark.parametrize(
    ("facts", "tier"),
    [
        ({"age_group": "under_13", "disability": False, "based_in_municipality": True}, "children_youth"),
        ({"age_group": "adults", "disability": True, "based_in_municipality": True}, "children_youth"),
        ({"age_group": "13_19", "disability": False, "based_in_municipality": False}, "others"),
        ({"age_group": "seniors", "disability": False, "based_in_municipality": True}, "adults_local"),
    ],
)
def test_default_tiers_put_each_need_where_the_policy_says(rules, facts, tier):
    assert rules.allocation.tier_of(hall_sport=True, **facts).key == tier


def test_a_version_stored_before_allocation_rules_still_loads_and_hashes_the_same(rules):
    older = rule_set_to_dict(rules)
    del older["allocation"]
    rule_set = rule_set_from_dict(older)
    assert rule_set.allocation is None
    assert "allocation" not in rule_set_to_dict(rule_set) and "allocation" not in dump_toml(rule_set)
    assert parse_rule_set(dump_toml(rule_set)) == rule_set
    assert content_hash(rule_set) != content_hash(rules)


def test_the_toml_keeps_the_tiers_in_order_as_an_array_of_tables(rules):
    text = dump_toml(rules)
    assert text.count("[[allocation.tiers]]") == 3
    assert text.index('key = "children_youth"') < text.index('key = "adults_local"') < text.index('key = "others"')
    assert "match_any = [{ based_in_municipality = true }]" in text
    assert parse_rule_set(text) == rules


def test_the_content_hash_includes_the_allocation_rules(rules):
    edited = _edited(rules, lambda a: a.update(not_used_limit=4))
    assert content_hash(rule_set_from_dict(edited)) != content_hash(rules)
    reordered = _edited(rules, lambda a: a["tiers"][0]["match_any"].reverse())
    assert content_hash(rule_set_from_dict(reordered)) != content_hash(rules)


def _tier(key: str, **condition) -> dict:
    return {"key": key, "name_nb": key, "name_en": key, "match_any": [condition] if condition else []}


@pytest.mark.parametrize(
    ("code", "place", "change"),
    [
        ("no_tiers", "allocation.tiers", lambda a: a.update(tiers=[])),
        ("duplicate_tier", "allocation.tiers[1].key", lambda a: a["tiers"][1].update(key="children_youth")),
        (
            "last_tier_has_conditions",
            "allocation.tiers[2].match_any",
            lambda a: a["tiers"][2].update(match_any=[{"based_in_municipality": False}]),
        ),
        ("tier_without_conditions", "allocation.tiers[1].match_any", lambda a: a["tiers"][1].update(match_any=[])),
        ("tier_without_conditions", "allocation.tiers[0].match_any", lambda a: a["tiers"].insert(0, _tier("alle"))),
        ("empty_condition", "allocation.tiers[1].match_any[0]", lambda a: a["tiers"][1].update(match_any=[{}])),
        (
            "unknown_age_group",
            "allocation.tiers[0].match_any[0].age_groups",
            lambda a: a["tiers"][0]["match_any"][0].update(age_groups=["under_13", "toddlers"]),
        ),
        ("unknown_age_group", "allocation.core_time_age_groups", lambda a: a.update(core_time_age_groups=["barn"])),
        ("invalid_value", "allocation.core_time_age_groups", lambda a: a.update(core_time_age_groups=[])),
        (
            "invalid_value",
            "allocation.tiers[0].match_any[1].disability",
            lambda a: a["tiers"][0]["match_any"][1].update(disability="ja"),
        ),
        (
            "invalid_value",
            "allocation.tiers[0].match_any",
            lambda a: a["tiers"][0].update(match_any={"disability": True}),
        ),
        ("invalid_value", "allocation.tiers[1]", lambda a: a["tiers"].__setitem__(1, "adults_local")),
        ("invalid_key", "allocation.tiers[0].key", lambda a: a["tiers"][0].update(key="Barn og unge")),
        ("missing_field", "allocation.tiers[0].name_en", lambda a: a["tiers"][0].pop("name_en")),
        (
            "unknown_field",
            "allocation.tiers[0].match_any[1].disabled",
            lambda a: a["tiers"][0]["match_any"][1].update(disabled=True),
        ),
        ("unknown_field", "allocation.tiers[2].prioritet", lambda a: a["tiers"][2].update(prioritet=3)),
        ("unknown_field", "allocation.core_time_ends", lambda a: a.update(core_time_ends="20:30")),
        ("invalid_value", "allocation.core_time_end", lambda a: a.update(core_time_end="25:00")),
        ("invalid_value", "allocation.core_time_end", lambda a: a.update(core_time_end="20.30")),
        ("invalid_value", "allocation.hall_sport_first", lambda a: a.update(hall_sport_first="ja")),
        ("invalid_value", "allocation.continuity_weight", lambda a: a.update(continuity_weight=-1)),
        ("invalid_value", "allocation.participants_weight", lambda a: a.update(participants_weight=1.5)),
        ("invalid_value", "allocation.wish_rank_weights", lambda a: a.update(wish_rank_weights=[])),
        ("invalid_value", "allocation.wish_rank_weights[1]", lambda a: a.update(wish_rank_weights=[100, -5])),
        (
            "wish_weight_increases",
            "allocation.wish_rank_weights[2]",
            lambda a: a.update(wish_rank_weights=[100, 60, 70]),
        ),
        ("invalid_value", "allocation.not_used_limit", lambda a: a.update(not_used_limit=0)),
        ("missing_field", "allocation.not_used_limit", lambda a: a.pop("not_used_limit")),
    ],
)
def test_invalid_allocation_rules_are_refused_with_their_place(rules, code, place, change):
    error = _refusal(rules, change)
    assert (error.code, error.place) == (code, place)
    assert error.message_nb and error.message_en and error.message_en != error.message_nb


def test_fair_edge_values_are_fine(rules):
    def edges(a):
        a.update(
            core_time_end="24:00",
            continuity_weight=0,
            participants_weight=0,
            wish_rank_weights=[10, 10, 0],
            not_used_limit=1,
            hall_sport_first=False,
        )
        a["tiers"] = [_tier("alle")]

    allocation = rule_set_from_dict(_edited(rules, edges)).allocation
    assert [tier.key for tier in allocation.tiers] == ["alle"] and allocation.wish_weight(7) == 0


def test_an_allocation_section_that_is_not_a_table_is_refused(rules):
    data = rule_set_to_dict(rules)
    data["allocation"] = ["children_youth"]
    with pytest.raises(RuleSetError) as caught:
        rule_set_from_dict(data)
    assert (caught.value.code, caught.value.place) == ("invalid_value", "allocation")
