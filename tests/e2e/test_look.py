"""The Designsystemet look in a real headless Chromium: search results are cards in a grid
(more than one column at 1280 px, one at 320 px), and a booking's own page prints without
the menu, the forms and the buttons. The README's tour is taken on every run (kept with the
test artefacts); with LOKALER_TOUR=1 it is written to docs/tour/, where README shows it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from tests.e2e.test_booking_flow import booking_day, log_in

DELEGATE = "nina.lie@example.no"  # a club delegate no other browser test uses
CULTURE_STAFF = "eirik.bakken@example.no"
ROOT = Path(__file__).resolve().parents[2]
TOUR = ROOT / "docs" / "tour" if os.environ.get("LOKALER_TOUR") == "1" else ROOT / "test-artifacts" / "tour"

CARDS = """() => [...document.querySelectorAll('ul.cards > li.ds-card')].map(card => {
    const box = card.getBoundingClientRect();
    return [Math.round(box.left), Math.round(box.top), Math.round(box.right)];
})"""


def book_for_the_club(page, server: str, weeks: int, weekday: int) -> int:
    """The id of a booking for the delegate's club, made through the API on the first
    sample room that is free then."""
    day = booking_day(weeks, weekday)
    page.goto(f"{server}/?dato={day}&fra=18:00&til=20:00&type=room&kapasitet=10")
    slugs = [
        href.split("?")[0].split("/")[-1]
        for href in page.locator(".results a.book").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    ]
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    club = page.request.get(f"{server}/api/v1/me").json()["organisations"][0]["id"]
    for slug in slugs:
        answer = page.request.post(
            f"{server}/api/v1/bookings",
            data={
                "premises": slug,
                "start": f"{day}T18:00",
                "end": f"{day}T20:00",
                "purpose": "Styremøte",
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
        if answer.status == 201:
            return answer.json()["id"]
        assert answer.status == 409, answer.text()  # taken meanwhile: try the next
    raise AssertionError("no sample room was free")


def test_search_results_are_cards_in_columns_at_1280_and_one_column_at_320(server, page):
    day = booking_day(2, 1)
    page.goto(f"{server}/?dato={day}&fra=18:00&til=20:00")
    assert page.locator("ul.cards > li.ds-card").count() >= 6
    # grouped by district, each group under its own heading
    assert page.locator("section.district h3").count() >= 2

    wide = page.evaluate(CARDS)
    assert len({left for left, _, _ in wide}) > 1, "one column at 1280 px"
    tops = [top for _, top, _ in wide]
    assert any(tops.count(top) > 1 for top in tops), "no two cards side by side at 1280 px"

    page.set_viewport_size({"width": 320, "height": 800})
    narrow = page.evaluate(CARDS)
    assert len({left for left, _, _ in narrow}) == 1, "more than one column at 320 px"
    assert max(right for _, _, right in narrow) <= 320
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "the page scrolls sideways at 320 px"


def test_a_bookings_page_prints_without_menu_forms_or_buttons(server, page):
    log_in(page, server, DELEGATE)
    booking_id = book_for_the_club(page, server, 7, 1)
    page.goto(f"{server}/mine-bestillinger/{booking_id}")
    assert page.locator("header.site nav").is_visible() and page.locator(".subnav").is_visible()
    assert page.locator("form.who button").is_visible()

    page.emulate_media(media="print")
    for hidden in (
        "header.site nav",
        ".subnav",
        "form.who",
        "form.language",
        "main form",
        "main button",
        "main .actions",
    ):
        items = page.locator(hidden)
        assert all(not items.nth(i).is_visible() for i in range(items.count())), f"{hidden} is printed"
    # what the booking is stays on paper
    assert page.locator("h1").is_visible() and page.locator("dl.facts").first.is_visible()
    assert "Styremøte" in page.locator("dl.facts").first.inner_text()
    assert page.locator(".brand").is_visible()

    page.emulate_media(media="screen")
    assert page.locator("header.site nav").is_visible()


def _save(page, name: str) -> None:
    """A 1280 × 900 view, as a palette PNG (small enough to keep in the repository)."""
    from PIL import Image

    path = TOUR / f"{name}.png"
    page.screenshot(path=str(path))
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    with Image.open(path) as saved:
        assert (saved.format, saved.size) == ("PNG", (1280, 900))


def test_write_the_readme_tour(server, browser):
    TOUR.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="nb-NO", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/")
        _save(page, "1-finn-ledig-lokale")

        page.goto(f"{server}/?dato={booking_day(2, 1)}&fra=18:00&til=20:00")
        page.locator("#treff").evaluate("heading => window.scrollTo(0, heading.offsetTop - 16)")
        _save(page, "2-sokeresultater")

        page.goto(server + "/lokaler/marienlyst-fotballhall-hele")
        page.locator("#bestill").evaluate("heading => window.scrollTo(0, heading.offsetTop - 16)")
        _save(page, "3-lokale")

        log_in(page, server, DELEGATE)
        booking_id = book_for_the_club(page, server, 8, 2)
        page.goto(f"{server}/mine-bestillinger/{booking_id}")
        _save(page, "4-bestilling")

        page.goto(server + "/hva-skjer")
        _save(page, "5-hva-skjer")

        page.context.clear_cookies()
        log_in(page, server, CULTURE_STAFF)
        page.goto(server + "/saksbehandling")
        _save(page, "6-saksbehandling")
    finally:
        context.close()
