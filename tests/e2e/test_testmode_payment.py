"""Card payment in test mode, as on a fresh `make run` (no Stripe keys, not production), in a
real headless Chromium: a private person books a priced meeting room, pays on the app's own
test checkout, and ends on the confirmed booking; every page on the way says that no money
is taken, and axe finds nothing on any of them."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import running_server, screenshot
from tests.e2e.test_booking_flow import booking_day, both_widths_accessible, log_in
from tests.e2e.test_paid_booking import PRIVATE_PERSON

LABEL = "Testbetaling – ingen penger trekkes"


@pytest.fixture(scope="module")
def testmode_server(seeded, tmp_path_factory):
    folder = tmp_path_factory.mktemp("testmode")
    with running_server(
        seeded, folder / "testmode.db", BOOKING_ENV="development", BOOKING_TESTPAY_DIR=str(folder / "testpay")
    ) as server:
        yield server


def test_a_private_person_pays_in_test_mode_and_the_booking_is_confirmed(testmode_server, page):
    server = testmode_server
    day = booking_day(2, 1)
    log_in(page, server, PRIVATE_PERSON)
    page.goto(f"{server}/?dato={day}&fra=18:00&til=20:00&type=room&kapasitet=10&gruppe=privat")
    page.locator(".results li:not(:has(.approval)) a.book").first.click()  # confirmed once paid: no approval
    page.wait_for_url("**/bestill/**")
    page.select_option("#malgruppe", "adults")
    page.wait_for_selector("#result .explanation:has-text('Kundegruppe: Priv')")
    card = page.locator("label[for=betaling]")  # card comes first, and says what it is here
    assert LABEL in card.inner_text()
    page.check("input[name=betaling][value=card]")
    page.fill("#formal", "Bursdagsfeiring")
    page.check("#ansvarlig_voksen")
    page.check("#vilkar")
    page.check("#branninstruks")
    both_widths_accessible(page)
    page.click("#details button[type=submit]")

    page.wait_for_url(f"{server}/testbetaling/**")
    assert page.locator("h1").inner_text() == "Betal med kort"
    assert page.locator(".test-mode").inner_text() == LABEL
    total = page.locator("table.quote tfoot td").inner_text()
    assert total.endswith("kr") and total != "0\u00a0kr"
    both_widths_accessible(page)
    screenshot(page, "testmode-checkout")
    page.get_by_role("button", name=f"Betal {total} (test)").click()

    page.wait_for_url("**/mine-bestillinger/*?ny=1")
    assert page.locator("h1").inner_text() == "Bestillingen er bekreftet"
    assert page.locator(".test-mode").inner_text() == LABEL
    assert page.locator(".status").inner_text() == "Bekreftet"
    both_widths_accessible(page)
    screenshot(page, "testmode-confirmed")
