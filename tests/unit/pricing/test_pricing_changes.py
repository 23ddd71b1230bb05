"""What a draft rule set would change, before anyone publishes it."""

from __future__ import annotations

from decimal import Decimal

from pricing_fixtures import ADULTS, CHILDREN, PEOPLE, local, premises_for

from pricing import diff_rule_sets, impact_preview, rule_set_from_dict, rule_set_to_dict


def _draft(rules, change):
    data = rule_set_to_dict(rules)
    change(data)
    return rule_set_from_dict(data)


def test_no_changes_no_diff(rules):
    assert diff_rule_sets(rules, rules) == []


def test_diff_names_each_changed_field(rules):
    def edit(data):
        data["version"] = "2026-07-01-utkast"
        data["tariff"]["gymsal"]["rate"] = "400"
        data["time_bands"]["helg_og_helligdag"]["groups"] = ["kommersiell"]
        del data["add_ons"]["renhold"]
        data["tariff"]["svommehall"] = {"name_nb": "Svømmehall", "name_en": "Pool", "unit": "hour", "rate": "900"}

    changes = {c["place"]: c for c in diff_rule_sets(rules, _draft(rules, edit))}
    assert changes["tariff.gymsal.rate"] == {
        "place": "tariff.gymsal.rate",
        "change": "changed",
        "old": "350",
        "new": "400",
    }
    assert changes["time_bands.helg_og_helligdag.groups"]["new"] == ["kommersiell"]
    assert changes["add_ons.renhold.price"] == {
        "place": "add_ons.renhold.price",
        "change": "removed",
        "old": "600",
        "new": None,
    }
    assert changes["tariff.svommehall.rate"]["change"] == "added"
    assert changes["version"]["new"] == "2026-07-01-utkast"


def test_diff_names_allocation_changes_by_tier_and_says_the_rule_in_words(rules):
    def edit(data):
        allocation = data["allocation"]
        allocation["core_time_end"] = "21:00"
        allocation["tiers"][1]["match_any"] = [{"based_in_municipality": True, "hall_sport": True}]
        allocation["tiers"][0], allocation["tiers"][1] = allocation["tiers"][1], allocation["tiers"][0]

    changes = {c["place"]: c for c in diff_rule_sets(rules, _draft(rules, edit))}
    assert set(changes) == {"allocation.core_time_end", "allocation.tiers", "allocation.tiers.adults_local.match_any"}
    core_time = changes["allocation.core_time_end"]
    assert (core_time["old"], core_time["new"]) == ("20:30", "21:00")
    assert core_time["rule_nb"] == "Kjernetid: tid for barn under 13 år slutter senest kl. 21:00."
    assert core_time["rule_en"] == "Core time: time for children under 13 ends by 21:00."
    order = changes["allocation.tiers"]
    assert order["new"] == ["adults_local", "children_youth", "others"]
    assert order["rule_en"].startswith("The priority tiers, highest first: 1. Other clubs and associations")
    tier = changes["allocation.tiers.adults_local.match_any"]
    assert tier["old"] == [{"based_in_municipality": True}]
    assert tier["rule_nb"] == (
        "Andre lag og foreninger i kommunen: behov der aktiviteten er hallidrett og "
        "organisasjonen hører hjemme i kommunen."
    )
    prices_only = _draft(rules, lambda d: d["tariff"]["gymsal"].update(rate="400"))
    assert all("rule_nb" not in c for c in diff_rule_sets(rules, prices_only))


def test_diff_of_allocation_rules_added_to_an_older_version(rules):
    older = _draft(rules, lambda data: data.pop("allocation"))
    added = diff_rule_sets(older, rules)
    assert {c["change"] for c in added} == {"added"}
    limit = next(c for c in added if c["place"] == "allocation.not_used_limit")
    assert limit["new"] == 3 and "not used 3 times" in limit["rule_en"]
    removed = next(c for c in diff_rule_sets(rules, older) if c["place"] == "allocation.tiers.others.name_nb")
    assert (removed["change"], removed["old"], removed["rule_en"]) == ("removed", "Andre", "Others: every other need.")


def _bookings():
    return [
        ("b1", premises_for("gymsal"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.volunteer, ADULTS),
        (
            "b2",
            premises_for("idrettshall"),
            local(2026, 3, 14, 10),
            local(2026, 3, 14, 11, 30),
            PEOPLE.commercial,
            ADULTS,
        ),
        ("b3", premises_for("moterom"), local(2026, 3, 11, 18), local(2026, 3, 11, 19), PEOPLE.person, ADULTS),
        ("b4", premises_for("gymsal"), local(2026, 3, 12, 17), local(2026, 3, 12, 19), PEOPLE.youth_club, CHILDREN),
    ]


def test_impact_preview_counts_and_ranks_changes(rules):
    def edit(data):
        data["tariff"]["gymsal"]["rate"] = "400"
        data["groups"]["kommersiell"]["factor"] = "1.5"

    preview = impact_preview(_bookings(), rules, _draft(rules, edit))
    assert preview["bookings"] == 4
    assert preview["quoted_differently"] == 2  # b1 (gym rate) and b2 (commercial factor); b4 stays free
    assert preview["total_before"] == str(Decimal(350 + 4294 + 150 + 0))
    assert preview["total_after"] == str(Decimal(400 + 3220 + 150 + 0))  # 1.5 × 1145 × 1.5 × 1.25 = 3220.31
    assert preview["difference"] == "-1024"
    assert [row["key"] for row in preview["largest_changes"]] == ["b2", "b1"]
    assert preview["largest_changes"][1] == {"key": "b1", "before": "350", "after": "400", "difference": "50"}
    assert preview["unpriceable"] == []


def test_impact_preview_lists_bookings_the_draft_cannot_price(rules):
    draft = _draft(rules, lambda data: data["tariff"].pop("moterom"))
    preview = impact_preview(_bookings(), rules, draft)
    assert preview["unpriceable"][0]["key"] == "b3"
    assert preview["unpriceable"][0]["code"] == "unknown_tariff_category"
    assert preview["quoted_differently"] == 0
    assert preview["bookings"] == 4


def test_impact_preview_shows_at_most_ten_changes(rules):
    many = [(n, *_bookings()[0][1:]) for n in range(25)]
    preview = impact_preview(many, rules, _draft(rules, lambda d: d["tariff"]["gymsal"].update(rate="500")))
    assert preview["quoted_differently"] == 25
    assert len(preview["largest_changes"]) == 10
