"""One English name for "barn og unge": the rule set's own ("Children and youth"), in the
catalogue and on the pages. Regression: the queue and the report said "children and young
people" while the terms and the booking form said "Children and youth"."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from booking.services.rulebook import default_rule_set
from booking.settings import ROOT
from tests.integration.test_staff import login_as, staff  # noqa: F401 (fixture)

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def the_rule_sets_name() -> str:
    return default_rule_set().groups["barn_og_unge"].name_en


def test_the_catalogue_names_children_and_youth_as_the_rule_set_does():
    name = the_rule_sets_name().lower()
    with (ROOT / "locale" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="en")
    wrong = [
        (m.id, m.string)
        for m in catalogue
        if m.id
        and m.string
        and re.search("barn og unge", m.id, re.IGNORECASE)
        and m.string.lower().count(name) < len(re.findall("barn og unge", m.id, re.IGNORECASE))
    ]
    assert wrong == []


async def test_staff_pages_use_the_rule_sets_name(staff):
    name = the_rule_sets_name()
    await login_as(staff, "department_staff")
    queue = await staff.get("/saksbehandling", headers=ENGLISH)
    assert f"(customer group {name.lower()})" in queue.text  # the world's cup for 150 children
    report = await staff.get("/saksbehandling/rapporter", headers=ENGLISH)
    assert f"{name}: bookings with {name.lower()} as the target group." in report.text
    for page in (queue, report):
        assert "young people" not in page.text
