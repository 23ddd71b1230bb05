"""Published equals enforced: the "Priser og vilkår" document and the engine agree."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pricing_fixtures import PEOPLE, local, premises_for

from pricing import BookingDetails, content_hash, quote, terms_document
from pricing.localtime import day_kind, is_regular_day


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
        premises_for(row["key"]), start, start + timedelta(hours=1), PEOPLE.person, BookingDetails("all", 0), rules, group=group
    )
    assert Decimal(row["prices"][group][band]) == enforced.total


def test_published_exemption_prices_are_enforced(rules):
    [exemption] = terms_document(rules)["exemptions"]
    published = exemption["prices"]["kultursal"]["frivillig"]["hverdag"]
    details = BookingDetails("adults", 10, alcohol=True)
    enforced = quote(premises_for("kultursal"), local(2026, 9, 8, 19), local(2026, 9, 8, 20), PEOPLE.volunteer, details, rules)
    assert Decimal(published) == enforced.total == Decimal("800")


def test_published_add_on_price_is_enforced(rules):
    [add_on] = terms_document(rules)["add_ons"]
    details = BookingDetails("adults", add_on["attendees_over"] + 1)
    enforced = quote(premises_for("kultursal"), local(2026, 9, 8, 19), local(2026, 9, 8, 20), PEOPLE.person, details, rules)
    assert [line.amount for line in enforced.lines if line.code == "tillegg.renhold"] == [Decimal(add_on["price"])]
