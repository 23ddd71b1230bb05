"""The customer group is derived from who books and for whom, never typed in."""

from __future__ import annotations

import pytest
from pricing_fixtures import ADULT_BIRTH, ADULTS, CHILDREN, PEOPLE

from pricing import Booker, BookingDetails, OrganisationFacts, customer_group


@pytest.mark.parametrize(
    ("booker", "details", "group"),
    [
        (PEOPLE.person, ADULTS, "privat"),
        (PEOPLE.person, CHILDREN, "privat"),
        (PEOPLE.no_orgnr, ADULTS, "privat"),
        (PEOPLE.volunteer, ADULTS, "frivillig"),
        (PEOPLE.volunteer, CHILDREN, "frivillig"),  # does not work for children and youth
        (PEOPLE.youth_club, CHILDREN, "barn_og_unge"),
        (PEOPLE.youth_club, ADULTS, "frivillig"),  # the booking is not for children and youth
        (PEOPLE.youth_club, BookingDetails(attendees=10), "frivillig"),
        (PEOPLE.commercial, ADULTS, "kommersiell"),
        (PEOPLE.commercial, CHILDREN, "kommersiell"),
        (PEOPLE.municipal, CHILDREN, "kommunal"),
    ],
)
def test_group_derivation(booker, details, group):
    key, rule = customer_group(booker, details)
    assert key == group
    assert rule.endswith(".") and len(rule) > 20


def test_commercial_children_activity_is_still_commercial():
    org = OrganisationFacts(
        "Barneland AS", "912345678", works_for_children_youth=True, commercial=True, municipal=False
    )
    assert customer_group(Booker(ADULT_BIRTH, org), CHILDREN)[0] == "kommersiell"


def test_an_invalid_orgnr_makes_an_informal_group():
    org = OrganisationFacts("Lesesirkelen", "123456789", False, False, False, orgnr_valid=False)
    key, rule = customer_group(Booker(ADULT_BIRTH, org), ADULTS)
    assert key == "privat"
    assert "organisasjonsnummer" in rule


def test_the_rule_sentence_names_the_organisation():
    _, rule = customer_group(PEOPLE.youth_club, CHILDREN)
    assert "Fjell Ungdomsklubb" in rule and "barn og unge" in rule
