"""Loading, validating, storing and versioning rule sets."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pricing_fixtures import DEFAULT_RULES

from pricing import (
    PricingError,
    RuleSetError,
    content_hash,
    dump_toml,
    parse_rule_set,
    rule_set_from_dict,
    rule_set_to_dict,
    select_version,
)

DEFAULT_RATES = {
    "moterom": ("hour", 150),
    "klasserom": ("hour", 150),
    "spesialrom": ("hour", 250),
    "gymsal": ("hour", 350),
    "idrettshall": ("hour", 1145),
    "idrettshall_del": ("hour", 600),
    "kultursal": ("hour", 800),
    "uteomrade_bane": ("hour", 400),
    "uteomrade_arrangement": ("day", 2000),
}
DEFAULT_FACTORS = {"barn_og_unge": "0", "frivillig": "0.5", "privat": "1", "kommersiell": "2", "kommunal": "0"}


def test_default_rule_set_holds_the_agreed_tariff(rules):
    assert rules.version == "2026-01-01"
    assert rules.valid_from == date(2026, 1, 1)
    assert {key: (c.unit, c.rate) for key, c in rules.tariff.items()} == {
        key: (unit, Decimal(rate)) for key, (unit, rate) in DEFAULT_RATES.items()
    }
    assert {key: g.factor for key, g in rules.groups.items()} == {k: Decimal(v) for k, v in DEFAULT_FACTORS.items()}
    assert all(c.vat_rate == 0 for c in rules.tariff.values())


def test_default_lending_criteria(rules):
    lending = rules.lending
    assert (lending.min_age, lending.min_notice_hours, lending.max_hours, lending.hold_minutes) == (18, 2, 12, 15)
    assert lending.min_notice_hours_for("outdoor_area") == 7 * 24
    assert lending.max_hours_for("uteomrade_arrangement") == 72
    assert (lending.cancellation_free_hours, lending.cancellation_fee_share) == (48, Decimal("0.5"))
    assert rules.groups["privat"].max_upcoming_bookings == 4
    assert {k: g.book_ahead_days for k, g in rules.groups.items()} == {
        "barn_og_unge": 365,
        "frivillig": 365,
        "privat": 90,
        "kommersiell": 90,
        "kommunal": 365,
    }


def test_parses_text_and_never_takes_a_string_for_a_file_name(default_toml, rules):
    assert parse_rule_set(default_toml) == rules
    # A file name is text like any other: parsed as TOML (which it is not) and refused,
    # never opened, however much it looks like the rule set's own file.
    for name in (str(DEFAULT_RULES), DEFAULT_RULES.name, "/etc/passwd"):
        with pytest.raises(RuleSetError) as caught:
            parse_rule_set(name)
        assert (caught.value.code, caught.value.status) == ("malformed_toml", 422)
    with pytest.raises(TypeError):  # a path is not text
        parse_rule_set(Path(DEFAULT_RULES))


def test_round_trips_through_dict_and_toml(rules):
    as_dict = rule_set_to_dict(rules)
    assert rule_set_from_dict(as_dict) == rules
    assert parse_rule_set(dump_toml(rules)) == rules
    assert content_hash(parse_rule_set(dump_toml(rules))) == content_hash(rules)


def test_dict_form_is_json_able(rules):
    import json

    assert json.loads(json.dumps(rule_set_to_dict(rules))) == rule_set_to_dict(rules)


def test_dump_toml_escapes_text(rules):
    edited = rule_set_to_dict(rules)
    edited["tariff"]["gymsal"]["name_nb"] = 'Gymsal "A"\\B\nlinje 2\x7f'
    rule_set = rule_set_from_dict(edited)
    assert parse_rule_set(dump_toml(rule_set)) == rule_set


def test_content_hash_is_stable_and_changes_with_content(default_toml, rules):
    assert content_hash(rules) == content_hash(parse_rule_set(default_toml))
    assert content_hash(rules).startswith("sha256:")
    edited = rule_set_to_dict(rules)
    edited["tariff"]["gymsal"]["rate"] = "351"
    assert content_hash(rule_set_from_dict(edited)) != content_hash(rules)


def test_equal_values_spelled_differently_hash_the_same(rules):
    edited = rule_set_to_dict(rules)
    edited["groups"]["frivillig"]["factor"] = "0.50"
    assert content_hash(rule_set_from_dict(edited)) == content_hash(rules)


def test_version_defaults_to_valid_from(rules):
    edited = rule_set_to_dict(rules)
    del edited["version"]
    edited["valid_from"] = "2026-07-01"
    assert rule_set_from_dict(edited).version == "2026-07-01"


# ------------------------------------------------------------------ validation


def _edited(rules, change):
    data = copy.deepcopy(rule_set_to_dict(rules))
    change(data)
    return data


def _refusal(rules, change, **kwargs) -> RuleSetError:
    with pytest.raises(RuleSetError) as caught:
        rule_set_from_dict(_edited(rules, change), **kwargs)
    return caught.value


def test_malformed_toml_is_refused():
    with pytest.raises(RuleSetError) as caught:
        parse_rule_set('version = "2026"\n[tariff\n')
    assert caught.value.code == "malformed_toml"
    assert "TOML" in caught.value.message
    assert caught.value.status == 422


def test_unknown_group_is_refused_with_its_place(rules):
    error = _refusal(rules, lambda d: d["time_bands"]["helg_og_helligdag"]["groups"].append("pensjonist"))
    assert (error.code, error.place) == ("unknown_group", "time_bands.helg_og_helligdag.groups")
    assert "pensjonist" in error.message


def test_unknown_group_in_an_exemption_is_refused(rules):
    error = _refusal(rules, lambda d: d["exemptions"]["alkohol_uten_frivillighetsrabatt"].update(groups=["idrettslag"]))
    assert (error.code, error.place) == ("unknown_group", "exemptions.alkohol_uten_frivillighetsrabatt.groups")


def test_unknown_category_is_refused_with_its_place(rules):
    error = _refusal(rules, lambda d: d["add_ons"]["renhold"]["categories"].append("svommehall"))
    assert (error.code, error.place) == ("unknown_category", "add_ons.renhold.categories")
    assert "svommehall" in error.message


def test_unknown_category_in_lending_is_refused(rules):
    error = _refusal(rules, lambda d: d["lending"]["max_hours_by_category"].update(svommehall=4))
    assert (error.code, error.place) == ("unknown_category", "lending.max_hours_by_category")


@pytest.mark.parametrize(
    ("place", "change"),
    [
        ("tariff.gymsal.rate", lambda d: d["tariff"]["gymsal"].update(rate="-350")),
        ("add_ons.renhold.price", lambda d: d["add_ons"]["renhold"].update(price="-1")),
    ],
)
def test_negative_price_is_refused(rules, place, change):
    error = _refusal(rules, change)
    assert (error.code, error.place) == ("negative_price", place)
    assert str(error).startswith(place)


def test_missing_rate_in_a_category_is_refused(rules):
    error = _refusal(rules, lambda d: d["tariff"]["gymsal"].pop("rate"))
    assert (error.code, error.place) == ("missing_rate", "tariff.gymsal.rate")


def test_missing_rate_for_a_category_in_use_is_refused(rules):
    error = _refusal(rules, lambda d: None, categories_in_use={"gymsal", "svommehall"})
    assert (error.code, error.place) == ("missing_rate", "tariff.svommehall.rate")
    assert "svommehall" in error.message


def test_categories_in_use_that_all_have_rates_are_fine(default_toml, rules):
    assert parse_rule_set(default_toml, categories_in_use=set(DEFAULT_RATES)) == rules


def test_overlapping_time_bands_are_refused(rules):
    evening = {
        "name_nb": "Kveld",
        "name_en": "Evening",
        "days": "weekday",
        "start": "17:00",
        "end": "24:00",
        "surcharge": "0.1",
        "groups": ["privat"],
    }
    error = _refusal(rules, lambda d: d["time_bands"].update(kveld=evening))
    assert (error.code, error.place) == ("time_bands_overlap", "time_bands.kveld.start")


def test_gap_at_the_end_of_the_day_is_refused(rules):
    error = _refusal(rules, lambda d: d["time_bands"]["hverdag"].update(end="23:00"))
    assert (error.code, error.place) == ("time_bands_gap", "time_bands.hverdag.end")


def test_gap_between_time_bands_is_refused(rules):
    def split_weekday(d):
        d["time_bands"]["hverdag"]["end"] = "16:00"
        d["time_bands"]["kveld"] = {
            "name_nb": "Kveld",
            "name_en": "Evening",
            "days": "weekday",
            "start": "17:00",
            "end": "24:00",
        }

    error = _refusal(rules, split_weekday)
    assert (error.code, error.place) == ("time_bands_gap", "time_bands.kveld.start")


def test_a_day_kind_without_bands_is_refused(rules):
    error = _refusal(rules, lambda d: d["time_bands"].pop("helg_og_helligdag"))
    assert error.code == "time_bands_gap"


def test_time_band_shorter_than_an_hour_is_refused(rules):
    def short_band(d):
        d["time_bands"]["hverdag"]["end"] = "23:30"
        d["time_bands"]["sent"] = {
            "name_nb": "Sent",
            "name_en": "Late",
            "days": "weekday",
            "start": "23:30",
            "end": "24:00",
        }

    assert _refusal(rules, short_band).code == "time_band_too_short"


@pytest.mark.parametrize("factor", ["5.01", "-0.5", "10"])
def test_factor_out_of_range_is_refused(rules, factor):
    error = _refusal(rules, lambda d: d["groups"]["kommersiell"].update(factor=factor))
    assert (error.code, error.place) == ("factor_out_of_range", "groups.kommersiell.factor")


def test_factor_at_the_limits_is_fine(rules):
    for factor in ("0", "5"):
        assert rule_set_from_dict(_edited(rules, lambda d: d["groups"]["kommersiell"].update(factor=factor)))


def test_surcharge_out_of_range_is_refused(rules):
    error = _refusal(rules, lambda d: d["time_bands"]["helg_og_helligdag"].update(surcharge="6"))
    assert (error.code, error.place) == ("factor_out_of_range", "time_bands.helg_og_helligdag.surcharge")


def test_a_typo_in_a_field_name_is_refused(rules):
    error = _refusal(rules, lambda d: d["tariff"]["gymsal"].update(rat="350"))
    assert (error.code, error.place) == ("unknown_field", "tariff.gymsal.rat")


def test_a_group_the_derivation_needs_cannot_be_removed(rules):
    error = _refusal(rules, lambda d: d["groups"].pop("kommunal"))
    assert (error.code, error.place) == ("missing_group", "groups.kommunal")


@pytest.mark.parametrize(
    ("place", "change"),
    [
        ("tariff.gymsal.unit", lambda d: d["tariff"]["gymsal"].update(unit="week")),
        ("tariff.gymsal.rate", lambda d: d["tariff"]["gymsal"].update(rate="tre hundre")),
        ("tariff.gymsal.rate", lambda d: d["tariff"]["gymsal"].update(rate=350.0)),  # floats lose exactness
        ("time_bands.hverdag.start", lambda d: d["time_bands"]["hverdag"].update(start="7")),
        ("valid_from", lambda d: d.update(valid_from="første januar")),
        ("lending.min_age", lambda d: d["lending"].update(min_age=-1)),
        ("tariff.gymsal.vat_rate", lambda d: d["tariff"]["gymsal"].update(vat_rate="-0.25")),
        ("lending.cancellation_fee_share", lambda d: d["lending"].update(cancellation_fee_share="1.5")),
    ],
)
def test_invalid_values_are_refused_with_their_place(rules, place, change):
    error = _refusal(rules, change)
    assert (error.code, error.place) == ("invalid_value", place)


def test_keys_must_be_simple_names(rules):
    error = _refusal(rules, lambda d: d["tariff"].update({"Store sal": d["tariff"]["gymsal"]}))
    assert (error.code, error.place) == ("invalid_key", "tariff.Store sal")


def test_rule_set_error_is_a_pricing_error_with_english_text(rules):
    error = _refusal(rules, lambda d: d["tariff"]["gymsal"].update(rate="-1"))
    assert isinstance(error, PricingError)
    assert error.message_nb == error.message
    assert "negative" in error.message_en


# ------------------------------------------------------------------ versions


def _version(rules, valid_from: str):
    return rule_set_from_dict(_edited(rules, lambda d: d.update(version=valid_from, valid_from=valid_from)))


def test_select_version_picks_the_one_in_force_on_the_date(rules):
    january, july = rules, _version(rules, "2026-07-01")
    versions = [july, january]
    assert select_version(versions, date(2026, 6, 30)) is january
    assert select_version(versions, date(2026, 7, 1)) is july
    assert select_version(versions, date(2027, 1, 1)) is july


def test_select_version_uses_the_local_date_of_an_instant(rules):
    july = _version(rules, "2026-07-01")
    # 22:30 UTC on 30 June is 00:30 on 1 July in Oslo.
    assert select_version([rules, july], datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) is july


def test_select_version_refuses_a_date_before_every_version(rules):
    with pytest.raises(PricingError) as caught:
        select_version([rules], date(2025, 12, 31))
    assert caught.value.code == "no_rule_set_in_force"
