"""The pages everyone shares (search, a premises page, prices and terms, my bookings),
checked by axe-core for each role: the header and menus differ by role."""

from __future__ import annotations

import pytest

from tests.e2e.test_booking_flow import both_widths_accessible, log_in

ROLES = {
    "person": "lars.pettersen@example.no",
    "delegate": "per.amundsen@example.no",
    "caretaker": "geir.olsen@example.no",
    "department_staff": "eirik.bakken@example.no",
    "admin": "ingrid.halvorsen@example.no",
}
SHARED_PAGES = ["/", "/lokaler/marienlyst-fotballhall-hele", "/priser-og-vilkar", "/mine-bestillinger"]


@pytest.mark.parametrize("role", ROLES)
def test_shared_pages_have_no_axe_violations_for_each_role(server, page, role):
    log_in(page, server, ROLES[role])
    assert page.locator("form.who").count() == 1, "not logged in"
    for path in SHARED_PAGES:
        assert page.goto(server + path).status == 200, path
        both_widths_accessible(page)
