"""How each customer group may pay, as rule data: parsed, validated, stored and read back;
versions stored before the rule keep their old behaviour."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from pricing import (
    Booker,
    OrganisationFacts,
    RuleSetError,
    content_hash,
    dump_toml,
    parse_rule_set,
    rule_set_from_dict,
    rule_set_to_dict,
    terms_document,
)
from pricing.payment_methods import allowed_payment_methods, method_names

CLUB = OrganisationFacts("Bragernes IL", "974760673", False, False, False, orgnr_valid=True)
NO_NUMBER = OrganisationFacts("Nabolaget", None, False, False, False, orgnr_valid=False)
PRIVATE = Booker(None, None)


def test_the_default_rules_let_every_group_pay_by_card_or_invoice(rules):
    assert {k: g.payment_methods for k, g in rules.groups.items()} == {
        key: ("card", "invoice") for key in ("barn_og_unge", "frivillig", "privat", "kommersiell", "kommunal")
    }
    assert allowed_payment_methods(rules.groups["privat"], PRIVATE) == ("card", "invoice")
    assert allowed_payment_methods(rules.groups["frivillig"], Booker(None, CLUB)) == ("card", "invoice")


def test_an_organisation_without_a_valid_number_is_never_invoiced(rules):
    assert allowed_payment_methods(rules.groups["privat"], Booker(None, NO_NUMBER)) == ("card",)


def test_a_version_stored_without_the_rule_keeps_the_old_behaviour(rules):
    stored = rule_set_to_dict(rules)
    for group in stored["groups"].values():
        del group["payment_methods"]
    old = rule_set_from_dict(stored)
    assert all(g.payment_methods is None for g in old.groups.values())
    assert allowed_payment_methods(old.groups["privat"], PRIVATE) == ("card",)
    assert allowed_payment_methods(old.groups["frivillig"], Booker(None, CLUB)) == ("card", "invoice")
    # Nothing is added to what was stored, so its content hash stays what it was.
    assert rule_set_to_dict(old) == stored and content_hash(old) == content_hash(rule_set_from_dict(stored))


def test_the_listed_methods_in_the_rule_sets_order(rules):
    only_invoice = replace(rules.groups["privat"], payment_methods=("invoice",))
    assert allowed_payment_methods(only_invoice, PRIVATE) == ("invoice",)
    nothing = replace(rules.groups["privat"], payment_methods=())
    assert allowed_payment_methods(nothing, PRIVATE) == ()


def test_stored_and_toml_forms_read_back_equal(rules):
    data = copy.deepcopy(rule_set_to_dict(rules))
    data["groups"]["privat"]["payment_methods"] = ["invoice"]
    changed = rule_set_from_dict(data)
    assert changed.groups["privat"].payment_methods == ("invoice",)
    assert parse_rule_set(dump_toml(changed)) == changed


@pytest.mark.parametrize("methods", [["cash"], ["card", "card"], "card"])
def test_unknown_or_repeated_methods_are_refused_with_their_place(rules, methods):
    data = copy.deepcopy(rule_set_to_dict(rules))
    data["groups"]["privat"]["payment_methods"] = methods
    with pytest.raises(RuleSetError) as refused:
        rule_set_from_dict(data)
    assert refused.value.place == "groups.privat.payment_methods"


def test_method_names_in_both_languages():
    assert method_names(("card", "invoice"), "nb") == "kort eller faktura"
    assert method_names(("invoice",), "en") == "invoice"


def test_the_published_terms_say_how_each_group_pays(rules):
    lending = terms_document(rules)["lending"]
    assert "Privatpersoner kan betale med kort eller faktura." in lending["rules_nb"]
    assert "Private persons can pay by card or invoice." in lending["rules_en"]
    stored = rule_set_to_dict(rules)
    for group in stored["groups"].values():
        del group["payment_methods"]
    old = terms_document(rule_set_from_dict(stored))["lending"]
    assert (
        "Privatpersoner betaler med kort; organisasjoner med gyldig organisasjonsnummer kan også få faktura."
        in old["rules_nb"]
    )
