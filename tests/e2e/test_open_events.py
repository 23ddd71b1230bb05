"""An open event in a real headless Chromium: a delegate marks the club's booking as an
open event on its page, finds it on "Hva skjer" from the main menu with the district and
audience filters, and an administrator hides it again; axe-core finds nothing on any of
the pages, at both widths."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import screenshot
from tests.e2e.test_booking_flow import booking_day, both_widths_accessible, log_in

CHESS_DELEGATE = "leif.hovland@example.no"  # Drammen Sjakklubb's only delegate; no other browser test uses him
ADMIN = "ingrid.halvorsen@example.no"
# Sample classrooms that need no approval, with their districts: the first one free is booked.
CLASSROOMS = {
    "skoger-skole-klasserom-2": "skoger",
    "konnerud-skole-klasserom-6a": "konnerud",
    "solbergelva-skole-klasserom-5b": "solbergelva",
    "assiden-skole-klasserom-5a": "assiden",
}
TITLE = f"Sjakk for nybegynnere {uuid.uuid4().hex[:6]}"


def book_a_classroom(page, server: str) -> tuple[int, str]:
    """(booking id, district slug) of a confirmed booking for the chess club, through the API."""
    day = booking_day(6, 3)
    page.goto(f"{server}/mine-bestillinger")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    club = page.request.get(f"{server}/api/v1/me").json()["organisations"][0]["id"]
    for slug, district in CLASSROOMS.items():
        answer = page.request.post(
            f"{server}/api/v1/bookings",
            data={
                "premises": slug,
                "start": f"{day}T18:00",
                "end": f"{day}T20:00",
                "purpose": "Sjakkurs",
                "attendees": 12,
                "target_group": "children_youth",
                "organisation_id": club,
                "payment_method": "invoice",
                "accept_terms": True,
                "accept_fire_instructions": True,
            },
            headers={"x-csrftoken": token, "Idempotency-Key": uuid.uuid4().hex},
        )
        if answer.status == 201:
            assert answer.json()["status"] == "confirmed", answer.text()
            return answer.json()["id"], district
        assert answer.status == 409, answer.text()  # taken by a sample booking: try the next
    raise AssertionError("no sample classroom was free")


def test_a_delegate_marks_an_open_event_and_finds_it_on_hva_skjer(server, page):
    log_in(page, server, CHESS_DELEGATE)
    booking_id, district = book_a_classroom(page, server)

    page.goto(f"{server}/mine-bestillinger/{booking_id}")
    page.fill("#tittel", TITLE)
    page.fill("#beskrivelse", "Lær sjakk fra grunnen av.\nBrett og brikker finnes.")
    page.select_option("#publikum", "children_youth")
    page.click("text=Vis som åpent arrangement")
    page.wait_for_url("**?arrangement=lagret*")
    section = page.locator("section[aria-labelledby=arrangement]").inner_text()
    assert "Det åpne arrangementet er lagret." in section and "Vises på «Hva skjer»." in section
    both_widths_accessible(page)
    screenshot(page, "open-event-marked")

    page.click("header.site nav >> text=Hva skjer")
    page.wait_for_url("**/hva-skjer")
    page.select_option("#kommunedel", district)
    page.select_option("#publikum", "children_youth")
    page.click("form.event-filters button[type=submit]")
    page.wait_for_url(f"**/hva-skjer?kommunedel={district}&publikum=children_youth")
    event = page.locator("article", has=page.locator("h4", has_text=TITLE))
    assert event.count() == 1
    facts = event.inner_text()
    assert "Lær sjakk fra grunnen av." in facts and "18:00–20:00" in facts
    assert "Drammen Sjakklubb" in facts and "For barn og unge" in facts and "Universell utforming" in facts
    listing = page.locator("main").inner_html()  # the header says who is logged in; the listing never does
    assert "Leif" not in listing and "Hovland" not in listing and CHESS_DELEGATE not in listing
    both_widths_accessible(page)
    screenshot(page, "hva-skjer")

    page.context.clear_cookies()
    log_in(page, server, ADMIN)
    page.goto(f"{server}/saksbehandling/arrangementer")
    both_widths_accessible(page)
    page.locator(f"#arrangement-{booking_id} button").click()
    page.wait_for_url("**?utfort=skjult*")
    assert "Arrangementet er skjult" in page.locator("p.done").inner_text()
    page.goto(f"{server}/hva-skjer?kommunedel={district}")
    assert page.locator("h4", has_text=TITLE).count() == 0
