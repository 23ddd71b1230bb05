"""A staff member reviews the sample season's proposal in a real headless Chromium and
publishes it: the sample round (the coming season over the sample halls and gyms, open,
with 30 applications) gets a proposal, the week plans and the unmet wishes' reasons are
read, one allocation is pinned, the round is closed and published, and axe-core finds
nothing on the pages on the way, at desktop width and at 320 px.

Publishing changes the round for good, so this module runs a server of its own on its own
seeded database: the shared `server` keeps its round open for the other browser tests."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import running_server
from tests.e2e.test_staff_pages import ADMIN, check_page, login


@pytest.fixture(scope="module")
def own_server(seeded, tmp_path_factory):
    with running_server(seeded, tmp_path_factory.mktemp("season-review") / "season.db") as url:
        yield url


def test_staff_review_the_sample_proposal_and_publish_it(own_server, page):
    server = own_server
    page.set_default_timeout(60_000)  # the proposal is computed while the form is posted
    login(page, server, ADMIN)
    page.goto(server + "/saksbehandling/sesonger")
    round_link = page.get_by_role("link", name=re.compile(r"^Sesong \d{4}.\d{2} – haller og gymsaler$"))
    assert round_link.count() == 1
    check_page(page, "season-list")
    round_link.click()
    page.wait_for_url(re.compile(r"/saksbehandling/sesonger/\d+$"))
    season_url = page.url
    assert page.locator("dd.status").inner_text() == "Åpen for søknader"

    page.get_by_role("button", name="Lag forslag").click()
    page.wait_for_url(re.compile(r"utfort=forslag"))
    assert "Forslaget er laget" in page.get_by_role("status").inner_text()
    summary = page.locator("section[aria-labelledby=oppsummering]")
    assert "Andel av tiden til barn og unge" in summary.inner_text()
    assert "Barn og unge, og aktivitet for personer med funksjonsnedsettelse" in summary.inner_text()
    plans = page.locator("table.weekplan")
    assert plans.count() > 1
    first_plan = plans.first
    assert first_plan.locator("thead th[scope=col]").first.inner_text() == "Tid"
    assert first_plan.locator("tbody th[scope=row]").first.inner_text() == "16:00"
    allocated = page.locator("td.tildelt")
    assert allocated.count() > 0 and "Prioritet:" in allocated.first.inner_text()  # told in words
    unmet = page.locator("section[aria-labelledby=ikke-innfridd] li li")
    assert unmet.count() > 0 and unmet.first.inner_text().endswith(".")  # a reason, as a sentence
    check_page(page, "season-proposal")

    first = page.locator("section[aria-labelledby=tildelinger] > ul > li").first
    allocation_id = first.get_attribute("id")
    first.get_by_role("button", name="Fest", exact=True).click()
    page.wait_for_url(re.compile(r"utfort=festet"))
    assert "festet" in page.locator(f"#{allocation_id} p").first.inner_text()
    assert page.locator(f"#{allocation_id}").get_by_role("button", name="Løsne").count() == 1

    page.get_by_role("button", name="Lukk for søknader").click()
    page.wait_for_url(re.compile(r"utfort=lukket"))
    assert page.locator("dd.status").inner_text() == "Lukket for søknader"
    page.get_by_role("button", name="Publiser").click()
    page.wait_for_url(re.compile(r"utfort=publisert"))
    assert page.locator("dd.status").inner_text() == "Publisert"
    result = page.locator("section[aria-labelledby=resultat]").inner_text()
    assert re.search(r"\d+ faste bestillinger med \d+ datoer i alt\.", result)
    assert page.get_by_role("button", name="Trekk tilbake").count() > 0
    assert page.get_by_role("button", name="Lag forslag").count() == 0
    check_page(page, "season-published")
    assert page.url.startswith(season_url)
