"""A premises-level tariff exception replaces the category's base rate, and the quote
says so: the line's rule names the exception, the explanation quotes both rates."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from pricing_fixtures import ADULTS, CHILDREN, PEOPLE, local, premises_for

from pricing import PricingError, quote


def gym(rate: str | None):
    return replace(
        premises_for("gymsal"), name="Fjell skole, gymsal", rate_override=None if rate is None else Decimal(rate)
    )


def test_without_an_exception_the_category_rate_applies(rules):
    result = quote(gym(None), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.volunteer, ADULTS, rules)
    assert result.total == Decimal("350")
    assert result.lines[0].rule == "tariff.gymsal.rate × groups.frivillig.factor"
    assert "unntak" not in result.explanation_nb


def test_an_exception_replaces_the_base_rate_and_names_itself(rules):
    # 200 kr/h instead of 350: 2 h × 200 × 0.5 (frivillig) = 200.
    result = quote(gym("200"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.volunteer, ADULTS, rules)
    [line] = result.lines
    assert result.total == Decimal("200")
    assert (line.rate, line.factor, line.amount) == (Decimal("200"), Decimal("0.5"), Decimal("200"))
    assert line.rule == "premises.test-gymsal.rate_override × groups.frivillig.factor"
    assert "egen pris for lokalet" in line.text_nb and "own rate" in line.text_en
    assert "Gymsal koster 350 kr per time" in result.explanation_nb
    assert "Fjell skole, gymsal har et godkjent unntak fra prislisten: 200 kr per time" in result.explanation_nb
    assert "approved exception" in result.explanation_en


def test_surcharges_and_factors_still_apply_to_the_exception_rate(rules):
    # Saturday, commercial: 1 h × 200 × 2.0 × 1.25 = 500.
    result = quote(gym("200"), local(2026, 3, 14, 10), local(2026, 3, 14, 11), PEOPLE.commercial, ADULTS, rules)
    assert result.total == Decimal("500")
    assert result.lines[0].rule == (
        "premises.test-gymsal.rate_override × groups.kommersiell.factor × time_bands.helg_og_helligdag.surcharge"
    )


def test_children_and_youth_stay_free_with_an_exception(rules):
    result = quote(gym("900"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.youth_club, CHILDREN, rules)
    assert result.total == 0


def test_an_exception_for_a_day_rate_counts_days(rules):
    park = replace(premises_for("uteomrade_arrangement"), rate_override=Decimal("1000"))
    result = quote(park, local(2026, 6, 2, 10), local(2026, 6, 3, 10), PEOPLE.person, ADULTS, rules)
    assert result.lines[0].quantity == 2 and result.lines[0].amount == Decimal("2000")


def test_a_negative_exception_rate_is_refused(rules):
    with pytest.raises(PricingError) as refused:
        quote(gym("-1"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.person, ADULTS, rules)
    assert refused.value.code == "negative_rate_override"


def test_snapshot_round_trip_keeps_the_exception_rule(rules):
    from pricing import Quote

    result = quote(gym("200"), local(2026, 3, 10, 18), local(2026, 3, 10, 20), PEOPLE.person, ADULTS, rules)
    assert Quote.from_snapshot(result.to_snapshot()) == result
