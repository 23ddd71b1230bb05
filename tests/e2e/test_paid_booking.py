"""A paid booking in a real headless Chromium, through to confirmation: a private person
books a meeting room, pays by card on the "hosted checkout" (a local server standing in
for Stripe Checkout, which records what was sent, in front of localstripe for the
PaymentIntent), comes back, and sees the booking confirmed; then books a weekly series
and pays for all its dates in one checkout."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.e2e.conftest import running_server, screenshot
from tests.e2e.test_booking_flow import PASSWORD, booking_day, both_widths_accessible
from tests.integration.test_payments_support import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    Customer,
    checkout_server,
    running_localstripe,
)

PRIVATE_PERSON = "lars.pettersen@example.no"  # roles ["person"], born 1969


@pytest.fixture(scope="module")
def stripe_world(seeded, tmp_path_factory):
    with running_localstripe() as localstripe, checkout_server(upstream=localstripe.url) as checkout:
        with running_server(
            seeded,
            tmp_path_factory.mktemp("paid") / "paid.db",
            BOOKING_STRIPE_SECRET_KEY=SECRET_KEY,
            BOOKING_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            BOOKING_STRIPE_API_BASE=checkout.url,
        ) as server:
            yield server, localstripe, checkout


def paid_on_localstripe(localstripe_url: str, payment_id: int, amount_ore: int) -> str:
    # Playwright's sync API owns this thread's event loop: pay from another thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, Customer(localstripe_url).pay(payment_id, amount_ore)).result()


def test_a_private_person_pays_by_card_and_the_booking_is_confirmed(stripe_world, page):
    server, localstripe, checkout = stripe_world
    day = booking_day(1, 3)
    page.goto(f"{server}/logg-inn")
    page.fill("#email", PRIVATE_PERSON)
    page.fill("#password", PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{server}/?dato={day}&fra=18:00&til=20:00&type=room&kapasitet=10&gruppe=privat")
    page.locator(".results li:not(:has(.approval)) a.book").first.click()  # confirmed once paid: no approval
    page.wait_for_url("**/bestill/**")
    page.select_option("#malgruppe", "adults")
    page.wait_for_selector("#result .explanation:has-text('Kundegruppe: Priv')")
    page.check("input[name=betaling][value=card]")  # the sample rules offer card or invoice
    page.fill("#formal", "Bursdagsfeiring")
    page.check("#ansvarlig_voksen")
    page.check("#vilkar")
    page.check("#branninstruks")
    page.click("#details button[type=submit]")
    page.wait_for_url(f"{checkout.url}/pay/**")
    assert "Stripe Checkout (test)" in page.content()

    (created,) = checkout.created()
    sent = created.params
    assert sent["mode"] == "payment" and sent["line_items[0][price_data][currency]"].lower() == "nok"
    assert created.headers.get("idempotency-key")
    assert sent["success_url"].startswith(server + "/betaling/") and sent["cancel_url"].endswith("/avbrutt")
    amount = int(sent["line_items[0][price_data][unit_amount]"])
    assert amount > 0
    session_id = page.url.rsplit("/", 1)[1]
    intent = paid_on_localstripe(localstripe.url, int(sent["metadata[payment_id]"]), amount)
    checkout.complete(session_id, intent)

    page.goto(sent["success_url"])
    page.wait_for_url("**/mine-bestillinger/*?ny=1")
    assert page.locator("h1").inner_text() == "Bestillingen er bekreftet"
    screenshot(page, "paid-booking-confirmed")


def test_a_private_person_pays_a_weekly_series_in_one_checkout(stripe_world, page):
    server, localstripe, checkout = stripe_world
    day = booking_day(4, 3)  # a Thursday four weeks ahead, and the Thursday after
    page.goto(f"{server}/logg-inn")
    page.fill("#email", PRIVATE_PERSON)
    page.fill("#password", PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{server}/?dato={day}&fra=18:00&til=20:00&type=room&kapasitet=10&gruppe=privat")
    slug = (
        page.locator(".results li:not(:has(.approval)) a.book").first.get_attribute("href").split("?")[0].split("/")[-1]
    )
    page.goto(f"{server}/bestill/{slug}/serie")
    assert page.locator("#for option:checked").get_attribute("value") == "selv"  # no organisation: himself
    page.check("#ukedag-thu")
    page.fill("#fra", "18:00")
    page.fill("#til", "20:00")
    page.fill("#forste", day.isoformat())
    page.fill("#siste", (day + timedelta(days=7)).isoformat())
    page.select_option("#malgruppe", "adults")
    page.fill("#formal", "Strikkeklubb")
    page.check("#ansvarlig_voksen")
    page.check("#vilkar")
    page.check("#branninstruks")
    page.click("button[value=forhandsvis]")
    page.wait_for_load_state()
    assert "Slik blir serien" in page.content() and page.is_visible("input[name=betaling][value=invoice]")
    page.check("input[name=betaling][value=card]")
    both_widths_accessible(page)
    screenshot(page, "series-preview-card")
    page.click("button[value=bekreft]")
    page.wait_for_url(f"{checkout.url}/pay/**")

    sent = checkout.created()[-1].params  # the first test's checkout came before this one
    dates = int(sent["line_items[0][quantity]"])
    assert dates >= 1 and "line_items[1][quantity]" not in sent  # one price, so one line with the count
    amount = int(sent["line_items[0][price_data][unit_amount]"]) * dates
    session_id = page.url.rsplit("/", 1)[1]
    intent = paid_on_localstripe(localstripe.url, int(sent["metadata[payment_id]"]), amount)
    checkout.complete(session_id, intent)

    page.goto(sent["success_url"])
    page.wait_for_url("**/mine-bestillinger/*?ny=1")
    assert page.locator("h1").inner_text() == "Bestillingen er bekreftet"
    page.goto(f"{server}/mine-bestillinger")
    assert page.locator("text=Strikkeklubb").count() >= dates
    screenshot(page, "paid-series-confirmed")
