"""Published equals enforced: the "Priser og vilkår" document and the engine agree."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pricing_fixtures import PEOPLE, local, premises_for

from pricing import BookingDetails, content_hash, quote, rule_set_from_dict, rule_set_to_dict, terms_document
from pricing.bands import day_kind, is_regular_day


def _dates_of_kind(kind: str) -> list[date]:
    days = (date(2026, 1, 1) + timedelta(days=n) for n in range(365))
    return [day for day in days if day_kind(day) == kind and is_regular_day(day)]


WEEKDAYS, WEEKEND_DAYS = _dates_of_kind("weekday"), _dates_of_kind("weekend_holiday")


@pytest.fixture(scope="module")
def published(rules):
    return terms_document(rules)


def test_terms_document_is_json_able_and_names_its_version(rules):
    document = terms_document(rules)
    assert json.loads(json.dumps(document)) == document
    assert document["title_nb"] == "Priser og vilkår"
    assert (document["version"], document["valid_from"]) == ("2026-01-01", "2026-01-01")
    assert document["content_hash"] == content_hash(rules)


def test_each_caller_gets_its_own_copy(rules):
    first = terms_document(rules)
    first["tariff"].clear()
    assert terms_document(rules)["tariff"]


def test_terms_list_every_category_group_and_band(rules):
    document = terms_document(rules)
    assert [row["key"] for row in document["tariff"]] == list(rules.tariff)
    for row in document["tariff"]:
        assert set(row["prices"]) == set(rules.groups)
        assert all(set(prices) == set(rules.time_bands) for prices in row["prices"].values())


def test_terms_show_the_worked_example_prices(rules):
    prices = {row["key"]: row["prices"] for row in terms_document(rules)["tariff"]}
    assert prices["gymsal"]["frivillig"]["hverdag"] == "175"
    assert prices["idrettshall"]["kommersiell"]["helg_og_helligdag"] == "2863"  # 1145 × 2 × 1.25 = 2862.5
    assert prices["uteomrade_arrangement"]["privat"]["helg_og_helligdag"] == "2500"
    assert prices["idrettshall"]["barn_og_unge"] == {"hverdag": "0", "helg_og_helligdag": "0"}


def test_terms_quote_the_lending_rules_the_engine_uses(rules):
    lending = terms_document(rules)["lending"]
    assert "Privatpersoner kan bestille inntil 90 dager fram i tid." in lending["rules_nb"]
    assert "Uteområder må bestilles minst 7 dager før start." in lending["rules_nb"]
    assert "Alkohol er ikke tillatt i lokaler som eies av skolene." in lending["rules_nb"]
    assert "Mer enn 100 deltakere krever godkjenning." in lending["approval_nb"]
    assert lending["hold_minutes"] == 15


def test_terms_list_public_holidays_with_norwegian_names(rules):
    holidays = {row["date"]: row["name_nb"] for row in terms_document(rules)["public_holidays"]}
    assert holidays["2026-05-17"] == "Grunnlovsdag"
    assert holidays["2026-12-25"] == "Første juledag"
    assert "2027-01-01" in holidays


def test_terms_say_how_time_is_allocated_from_the_priority_rules(rules):
    allocation = terms_document(rules)["allocation"]
    assert [(t["rank"], t["key"], t["name_nb"]) for t in allocation["tiers"]] == [
        (1, "children_youth", "Barn og unge, og aktivitet for personer med funksjonsnedsettelse"),
        (2, "adults_local", "Andre lag og foreninger i kommunen"),
        (3, "others", "Andre"),
    ]
    children, local_clubs, others = allocation["tiers"]
    assert children["who_nb"] == (
        "Behov der aldersgruppen er barn under 13 år eller ungdom 13–19 år og organisasjonen hører hjemme i kommunen, "
        "eller der aktiviteten er for personer med funksjonsnedsettelse og organisasjonen hører hjemme i kommunen."
    )
    assert local_clubs["who_en"] == "Needs where the organisation is based in the municipality."
    assert (others["who_nb"], others["who_en"]) == ("Alle andre behov.", "Every other need.")
    assert allocation["rules_nb"] == [
        "I haller går hallidrett foran annen aktivitet i samme prioritetsgruppe.",
        "Kjernetid: tid for barn under 13 år slutter senest kl. 20:30.",
        "Et lag som hadde samme tid forrige sesong, får beholde den når det går (vekt 3).",
        "Tiden deles i forhold til antall aktive deltakere (vekt 1).",
        "Blir tildelt tid meldt som ikke brukt 3 ganger i en sesong, får kommunen beskjed.",
    ]
    assert len(allocation["rules_en"]) == len(allocation["rules_nb"])
    assert allocation["wish_ranks"] == [
        {"rank_nb": "1. ønske", "rank_en": "1st wish", "weight": 100},
        {"rank_nb": "2. ønske", "rank_en": "2nd wish", "weight": 60},
        {"rank_nb": "3. ønske", "rank_en": "3rd wish", "weight": 40},
        {"rank_nb": "4. ønske og senere", "rank_en": "4th wish and later", "weight": 25},
    ]
    assert (allocation["not_used_limit"], allocation["core_time_end"]) == (3, "20:30")


def test_allocation_terms_follow_the_rules_and_are_absent_without_them(rules):
    data = rule_set_to_dict(rules)
    data["allocation"].update(
        continuity_weight=0,
        participants_weight=0,
        hall_sport_first=False,
        not_used_limit=1,
        core_time_age_groups=["under_13", "13_19"],
        core_time_end="21:00",
    )
    data["allocation"]["tiers"][1]["match_any"] = [
        {"hall_sport": False, "based_in_municipality": False},
        {"age_groups": ["seniors"]},
    ]
    allocation = terms_document(rule_set_from_dict(data))["allocation"]
    assert allocation["rules_en"] == [
        "In halls, hall sports do not come before other activities in the same priority tier.",
        "Core time: time for children under 13 or young people aged 13–19 ends by 21:00.",
        "Who had a time last season does not count.",
        "The number of participants does not count.",
        "When allocated time is reported as not used once in a season, the municipality is told.",
    ]
    assert allocation["tiers"][1]["who_nb"] == (
        "Behov der aktiviteten er ikke hallidrett og organisasjonen hører ikke hjemme i kommunen, "
        "eller der aldersgruppen er seniorer."
    )
    del data["allocation"]
    assert terms_document(rule_set_from_dict(data))["allocation"] is None


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    weekend=st.booleans(),
    start_minute=st.integers(0, 23 * 60),
)
def test_published_equals_enforced(rules, published, data, weekend, start_minute):
    """Any one-hour booking (one day for day prices) costs what the terms say, for every group."""
    document = published
    row = data.draw(st.sampled_from(document["tariff"]))
    group = data.draw(st.sampled_from(list(rules.groups)))
    day = data.draw(st.sampled_from(WEEKEND_DAYS if weekend else WEEKDAYS))
    band = "helg_og_helligdag" if weekend else "hverdag"
    start = local(day.year, day.month, day.day, start_minute // 60, start_minute % 60)
    enforced = quote(
        premises_for(row["key"]),
        start,
        start + timedelta(hours=1),
        PEOPLE.person,
        BookingDetails(attendees=0),
        rules,
        group=group,
    )
    assert Decimal(row["prices"][group][band]) == enforced.total


def test_published_exemption_prices_are_enforced(rules):
    [exemption] = terms_document(rules)["exemptions"]
    published = exemption["prices"]["kultursal"]["frivillig"]["hverdag"]
    details = BookingDetails(attendees=10, target_group="adults", alcohol=True)
    enforced = quote(
        premises_for("kultursal"), local(2026, 9, 8, 19), local(2026, 9, 8, 20), PEOPLE.volunteer, details, rules
    )
    assert Decimal(published) == enforced.total == Decimal("800")


def test_published_add_on_price_is_enforced(rules):
    [add_on] = terms_document(rules)["add_ons"]
    details = BookingDetails(attendees=add_on["attendees_over"] + 1, target_group="adults")
    enforced = quote(
        premises_for("kultursal"), local(2026, 9, 8, 19), local(2026, 9, 8, 20), PEOPLE.person, details, rules
    )
    assert [line.amount for line in enforced.lines if line.code == "tillegg.renhold"] == [Decimal(add_on["price"])]
