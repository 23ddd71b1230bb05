"""A cancelled booking in a real headless Chromium: it leaves "Kommende" for its own
section with what it cost, its page says who cancelled and why in the page's language,
and axe-core finds nothing on either page, in Norwegian and in English, at both widths."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import screenshot
from tests.e2e.test_booking_flow import booking_day, both_widths_accessible, log_in

CANCELLING_PERSON = "ole.braten@example.no"  # the only delegate of his organisation; no other test uses him


def test_a_cancelled_booking_has_its_own_section_and_page(server, page):
    log_in(page, server, CANCELLING_PERSON)
    day = booking_day(5, 3)
    page.goto(f"{server}/?dato={day}&fra=18:00&til=20:00&type=room&kapasitet=10")
    slug = page.locator(".results a.book").first.get_attribute("href").split("?")[0].split("/")[-1]
    page.goto(f"{server}/bestill/{slug}")
    club = int(page.locator("input[name=for]").first.get_attribute("value"))
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    answer = page.request.post(
        f"{server}/api/v1/bookings",
        data={
            "premises": slug,
            "start": f"{day}T18:00",
            "end": f"{day}T20:00",
            "purpose": "Årsmøte",
            "attendees": 10,
            "target_group": "adults",
            "organisation_id": club,
            "payment_method": "invoice",
            "responsible_name": "Ola Voksen",
            "responsible_phone": "98765432",
            "accept_terms": True,
            "accept_fire_instructions": True,
        },
        headers={"x-csrftoken": token, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status == 201, answer.text()
    booking_id = answer.json()["id"]

    page.goto(f"{server}/mine-bestillinger/{booking_id}/avbestill")
    page.fill("#begrunnelse", "Årsmøtet er flyttet")
    page.click("text=Ja, avbestill")
    page.wait_for_url("**?avbestilt=1")
    facts = page.locator("dl.facts").inner_text()
    assert "Avbestilt av" in facts and "Begrunnelse: Årsmøtet er flyttet" in facts and "Ingen kostnad" in facts
    both_widths_accessible(page)

    page.goto(f"{server}/mine-bestillinger")
    link = f"a[href='/mine-bestillinger/{booking_id}']"
    assert page.locator(f"ul.results[aria-labelledby=kommende] {link}").count() == 0
    assert page.locator(f"ul.results[aria-labelledby=avbestilte] {link}").count() == 1
    assert "Ingen kostnad" in page.locator(f"ul.results[aria-labelledby=avbestilte] li:has({link})").inner_text()
    both_widths_accessible(page)
    screenshot(page, "my-bookings-with-cancelled")

    page.click("form.language button")  # to English
    page.wait_for_load_state()
    page.goto(f"{server}/mine-bestillinger/{booking_id}")
    assert page.locator("html").get_attribute("lang") == "en"
    facts = page.locator("dl.facts").inner_text()
    assert "Responsible person (18+): Ola Voksen, tel. 98765432" in facts
    assert "Cancelled by" in facts and "Reason: Årsmøtet er flyttet" in facts and "Avbestil" not in facts
    both_widths_accessible(page)
    screenshot(page, "cancelled-booking-english")
