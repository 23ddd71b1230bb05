"""Quotes: the worked examples, local time and DST, add-ons, exemptions, snapshots."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from pricing_fixtures import ADULTS, CHILDREN, PEOPLE, local, premises_for

from pricing import BookingDetails, PricingError, Quote, quote


def test_worked_example_gym_hall_volunteer_tuesday_evening(rules):
    # Tuesday 10 March 2026, 18:00-20:00 local.
    result = quote(
        premises_for("gymsal"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.volunteer, ADULTS, rules
    )
    assert result.total == Decimal("350")
    assert result.customer_group == "frivillig"
    [line] = result.lines
    assert (line.quantity, line.unit, line.rate, line.factor, line.amount) == (2, "hour", 350, Decimal("0.5"), 350)
    assert line.rule == "tariff.gymsal.rate × groups.frivillig.factor"
    assert line.rule_set_version == result.rule_set_version == "2026-01-01"


def test_worked_example_whole_sports_hall_commercial_saturday(rules):
    # 1.5 × 1145 × 2.0 × 1.25 = 4293.75, rounded half up.
    result = quote(
        premises_for("idrettshall"),
        local(2026, 3, 14, 10),
        local(2026, 3, 14, 11, 30),
        PEOPLE.commercial,
        ADULTS,
        rules,
    )
    assert result.total == Decimal("4294")
    [line] = result.lines
    assert (line.quantity, line.rate, line.factor) == (Decimal("1.5"), 1145, Decimal("2.5"))
    assert "time_bands.helg_og_helligdag.surcharge" in line.rule
    assert "tillegg 25 %" in result.explanation_nb


def test_public_holiday_counts_as_weekend_and_is_named(rules):
    # 17 May 2026 is a Sunday; 14 May (Ascension Day) is a Thursday.
    result = quote(
        premises_for("moterom"), local(2026, 5, 14, 12), local(2026, 5, 14, 14), PEOPLE.person, ADULTS, rules
    )
    assert result.total == Decimal("375")  # 2 × 150 × 1.25
    assert "Kristi himmelfartsdag" in result.lines[0].text_nb
    assert "Ascension Day" in result.lines[0].text_en


def test_surcharge_applies_only_to_the_part_on_the_weekend(rules):
    # Friday 22:00 to Saturday 02:00: two weekday hours, two weekend hours.
    result = quote(premises_for("moterom"), local(2026, 3, 13, 22), local(2026, 3, 14, 2), PEOPLE.person, ADULTS, rules)
    assert [(line.code, line.quantity, line.amount) for line in result.lines] == [
        ("leie.hverdag", 2, 300),
        ("leie.helg_og_helligdag", 2, 375),
    ]
    assert result.total == Decimal("675")


def test_volunteers_pay_no_weekend_surcharge(rules):
    result = quote(
        premises_for("gymsal"), local(2026, 3, 14, 18), local(2026, 3, 14, 20), PEOPLE.volunteer, ADULTS, rules
    )
    assert result.total == Decimal("350")


def test_hourly_rates_are_pro_rata_to_the_minute(rules):
    result = quote(
        premises_for("gymsal"), local(2026, 3, 10, 18), local(2026, 3, 10, 18, 20), PEOPLE.person, ADULTS, rules
    )
    assert result.total == Decimal("117")  # 350 × 20/60 = 116.67
    assert result.lines[0].quantity == Decimal("0.33")
    assert result.lines[0].text_nb.endswith("20 min")


def test_a_started_minute_counts(rules):
    start = local(2026, 3, 10, 18)
    result = quote(
        premises_for("gymsal"), start, start + timedelta(minutes=59, seconds=1), PEOPLE.person, ADULTS, rules
    )
    assert result.total == Decimal("350")


def test_spring_forward_night_costs_the_hours_that_really_pass(rules):
    # 29 March 2026: clocks jump 02:00 -> 03:00, so 01:00-04:00 local is two hours.
    result = quote(
        premises_for("moterom"), local(2026, 3, 29, 1), local(2026, 3, 29, 4), PEOPLE.volunteer, ADULTS, rules
    )
    assert result.lines[0].quantity == 2
    assert result.total == Decimal("150")  # 2 × 150 × 0.5


def test_fall_back_night_costs_the_hours_that_really_pass(rules):
    # 25 October 2026: clocks go 03:00 -> 02:00, so 01:00-04:00 local is four hours.
    result = quote(
        premises_for("moterom"), local(2026, 10, 25, 1), local(2026, 10, 25, 4), PEOPLE.volunteer, ADULTS, rules
    )
    assert result.lines[0].quantity == 4
    assert result.total == Decimal("300")


def test_day_unit_counts_each_local_day_started(rules):
    # Wednesday 10:00 to Thursday 09:00: under 24 hours, but two calendar days started.
    area = premises_for("uteomrade_arrangement")
    result = quote(area, local(2026, 6, 10, 10), local(2026, 6, 11, 9), PEOPLE.person, ADULTS, rules)
    assert (result.lines[0].quantity, result.lines[0].unit, result.total) == (2, "day", Decimal("4000"))


def test_day_unit_ending_at_midnight_does_not_start_the_next_day(rules):
    area = premises_for("uteomrade_arrangement")
    result = quote(area, local(2026, 6, 10, 8), local(2026, 6, 11, 0), PEOPLE.person, ADULTS, rules)
    assert result.total == Decimal("2000")


def test_day_unit_on_a_dst_day_is_one_day(rules):
    area = premises_for("uteomrade_arrangement")
    result = quote(area, local(2026, 3, 29, 0), local(2026, 3, 30, 0), PEOPLE.person, ADULTS, rules)
    assert result.lines[0].quantity == 1  # 23 real hours, one local day
    assert result.total == Decimal("2500")  # a Sunday: + 25 % for privat


def test_day_unit_over_a_weekend_prices_each_day_by_its_kind(rules):
    # Friday 15 May 22:00 to Monday 18 May 04:00: Fri, Mon weekday; Sat, Sun (17 May) weekend.
    area = premises_for("uteomrade_arrangement")
    result = quote(area, local(2026, 5, 15, 22), local(2026, 5, 18, 4), PEOPLE.person, ADULTS, rules)
    assert [(line.code, line.quantity, line.amount) for line in result.lines] == [
        ("leie.hverdag", 2, 4000),
        ("leie.helg_og_helligdag", 2, 5000),
    ]
    assert "Grunnlovsdag" in result.lines[1].text_nb


def test_cleaning_add_on_for_a_large_event_in_the_culture_hall(rules):
    details = BookingDetails(target_group="adults", attendees=51)
    result = quote(
        premises_for("kultursal"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.person, details, rules
    )
    assert [line.code for line in result.lines] == ["leie.hverdag", "tillegg.renhold"]
    assert result.lines[1].amount == Decimal("600")
    assert result.total == Decimal("2200")


@pytest.mark.parametrize(
    ("category", "attendees", "booker", "details_target", "expected"),
    [
        ("kultursal", 50, PEOPLE.person, "adults", False),  # not more than 50
        ("gymsal", 200, PEOPLE.person, "adults", False),  # not a category with the add-on
        ("uteomrade_arrangement", 51, PEOPLE.volunteer, "adults", True),
        ("kultursal", 51, PEOPLE.youth_club, "children_youth", False),  # barn_og_unge exempt
        ("kultursal", 51, PEOPLE.municipal, "adults", False),  # kommunal exempt
    ],
)
def test_cleaning_add_on_conditions(rules, category, attendees, booker, details_target, expected):
    details = BookingDetails(target_group=details_target, attendees=attendees)
    result = quote(premises_for(category), local(2026, 3, 10, 18), local(2026, 3, 10, 20), booker, details, rules)
    assert any(line.code == "tillegg.renhold" for line in result.lines) is expected


def test_alcohol_removes_the_volunteer_discount(rules):
    details = BookingDetails(target_group="adults", attendees=20, alcohol=True)
    result = quote(
        premises_for("kultursal"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.volunteer, details, rules
    )
    assert result.total == Decimal("1600")  # factor 1.0 instead of 0.5
    assert result.lines[0].rule == "tariff.kultursal.rate × exemptions.alkohol_uten_frivillighetsrabatt.factor"
    assert "alkohol" in result.explanation_nb


def test_alcohol_does_not_change_other_groups(rules):
    details = BookingDetails(target_group="adults", attendees=20, alcohol=True)
    result = quote(
        premises_for("kultursal"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.person, details, rules
    )
    assert result.total == Decimal("1600")
    assert "groups.privat.factor" in result.lines[0].rule


def test_children_and_youth_and_municipal_units_pay_nothing(rules):
    for booker, details in ((PEOPLE.youth_club, CHILDREN), (PEOPLE.municipal, ADULTS)):
        result = quote(
            premises_for("idrettshall"), local(2026, 3, 14, 10), local(2026, 3, 14, 14), booker, details, rules
        )
        assert result.total == 0


def test_group_override_prices_for_the_given_group(rules):
    result = quote(
        premises_for("gymsal"),
        local(2026, 3, 10, 18),
        local(2026, 3, 10, 19),
        PEOPLE.person,
        ADULTS,
        rules,
        group="kommersiell",
    )
    assert (result.customer_group, result.total) == ("kommersiell", Decimal("700"))
    assert "Kommersiell" in result.group_rule


def test_unknown_group_override_is_refused(rules):
    with pytest.raises(PricingError) as caught:
        quote(
            premises_for("gymsal"),
            local(2026, 3, 10, 18),
            local(2026, 3, 10, 19),
            PEOPLE.person,
            ADULTS,
            rules,
            group="vip",
        )
    assert caught.value.code == "unknown_group"


def test_unknown_tariff_category_is_refused(rules):
    with pytest.raises(PricingError) as caught:
        quote(premises_for("svommehall"), local(2026, 3, 10, 18), local(2026, 3, 10, 19), PEOPLE.person, ADULTS, rules)
    assert caught.value.code == "unknown_tariff_category"


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (local(2026, 3, 10, 19), local(2026, 3, 10, 18), "invalid_interval"),
        (local(2026, 3, 10, 18), local(2026, 3, 10, 18), "invalid_interval"),
        (datetime(2026, 3, 10, 18), datetime(2026, 3, 10, 19), "naive_datetime"),
    ],
)
def test_bad_intervals_are_refused(rules, start, end, code):
    with pytest.raises(PricingError) as caught:
        quote(premises_for("gymsal"), start, end, PEOPLE.person, ADULTS, rules)
    assert caught.value.code == code


def test_explanations_name_group_rule_and_version(rules):
    result = quote(
        premises_for("gymsal"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.volunteer, ADULTS, rules
    )
    assert result.group_rule in result.explanation_nb
    assert "2026-01-01" in result.explanation_nb and "2026-01-01" in result.explanation_en
    assert "Voluntary organisation" in result.explanation_en


def test_vat_is_kept_per_line_so_other_rates_can_be_expressed(rules):
    from pricing import rule_set_from_dict, rule_set_to_dict

    edited = rule_set_to_dict(rules)
    edited["tariff"]["gymsal"]["vat_rate"] = "0.25"
    with_vat = rule_set_from_dict(edited)
    result = quote(
        premises_for("gymsal"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.person, ADULTS, with_vat
    )
    [line] = result.lines
    assert (line.amount, line.vat_rate, line.vat) == (700, Decimal("0.25"), 175)
    assert (result.total, result.vat_total) == (Decimal("875"), Decimal("175"))


def test_snapshot_round_trips_through_json(rules):
    details = BookingDetails(target_group="adults", attendees=80)
    original = quote(
        premises_for("uteomrade_arrangement"),
        local(2026, 5, 15, 22),
        local(2026, 5, 18, 4),
        PEOPLE.commercial,
        details,
        rules,
    )
    snapshot = json.loads(json.dumps(original.to_snapshot()))
    assert snapshot["total"] == str(original.total)
    assert Quote.from_snapshot(snapshot) == original
