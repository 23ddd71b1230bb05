"""Booking in a real headless Chromium against a real server with the sample data:
search anonymously → log in → book with a quote → my bookings → cancel; the same flow by
keyboard alone; axe-core (WCAG 2.0 A/AA, 2.1 A/AA) on every booking and "my" page,
logged out and logged in, at desktop and 320 px; screenshots as test artefacts."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_public_pages import assert_accessible

PASSWORD = "lokaler-demo"
FLOW_PERSON = "per.amundsen@example.no"  # delegate of Bragernes Idrettsforening
KEYBOARD_PERSON = "hilde.ronning@example.no"  # delegate of the same club
AXE_PERSON = "stian.moen@example.no"  # delegate of two organisations


def booking_day(weeks: int = 1, weekday: int = 2) -> date:
    """A weekday some days ahead: far enough for every notice rule, near enough for any group."""
    today = datetime.now(timezone.utc).astimezone(ZoneInfo("Europe/Oslo")).date()
    start = today + timedelta(days=7 * weeks)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def log_in(page, server: str, email: str) -> None:
    page.goto(server + "/logg-inn")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state()


def both_widths_accessible(page) -> None:
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320 + 1, "sideways scrolling at 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Press Tab until the focused element matches `selector` (keyboard only, no clicks)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_search_log_in_book_with_a_quote_see_it_and_cancel(server, page):
    day = booking_day(1, 1)
    page.goto(server + "/")
    page.fill("#dato", day.isoformat())
    page.fill("#fra", "18:00")
    page.fill("#til", "20:00")
    page.select_option("#type", "room")
    page.fill("#kapasitet", "10")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/?dato=*")
    assert "ledige lokaler" in page.locator("#treff").inner_text()
    first = page.locator(".results li").first
    name = first.locator("h4").inner_text()
    first.locator("a.book").click()
    page.wait_for_url("**/logg-inn?neste=**")
    page.fill("#email", FLOW_PERSON)
    page.fill("#password", PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(re.compile(re.escape(server) + "/bestill/"))
    assert page.locator("h1").inner_text() == f"Bestill {name}"
    # The club is preselected. For children and youth it is free …
    page.select_option("#malgruppe", "children_youth")
    # updated in place by booking.js
    page.wait_for_selector("#result .explanation:has-text('Kundegruppe: Barn og unge')")
    assert "malgruppe=children_youth" in page.url
    assert page.locator("#payment input").count() == 0
    # … for adults the club pays the voluntary-organisation price, by invoice.
    page.select_option("#malgruppe", "adults")
    page.wait_for_selector("#result .explanation:has-text('Kundegruppe: Frivillig organisasjon')")
    quote = page.locator("table.quote").inner_text()
    total = quote.split("Totalt")[1].strip()
    assert re.fullmatch(r"[1-9][\d\u00a0]*\u00a0kr", total), total
    assert page.is_checked("input[name=betaling][value=invoice]")
    screenshot(page, "booking-quote")
    page.fill("#formal", "Styremøte i velforeningen")
    page.check("#ansvarlig_voksen")
    page.check("#vilkar")
    page.check("#branninstruks")
    page.click("#details button[type=submit]")
    page.wait_for_url("**/mine-bestillinger/*?ny=1")
    heading = page.locator("h1").inner_text()
    assert heading in ("Bestillingen er bekreftet", "Forespørselen er sendt")
    assert "Styremøte i velforeningen" in page.locator("dl.facts").inner_text()
    screenshot(page, "booking-result")
    booking_url = page.url.split("?")[0]
    page.click("nav.subnav >> text=Mine bestillinger")
    page.wait_for_url("**/mine-bestillinger")
    entry = page.locator(f".results a[href='{booking_url.removeprefix(server)}']")
    assert entry.count() == 1
    screenshot(page, "my-bookings")
    entry.click()
    page.click("text=Avbestill")
    page.wait_for_url("**/avbestill")
    assert "å avbestille nå" in page.locator("#gebyr").inner_text()  # the fee, before confirming
    screenshot(page, "cancel-confirm")
    page.click("text=Ja, avbestill")
    page.wait_for_url("**?avbestilt=1")
    assert page.locator("h1").inner_text() == "Bestillingen er avbestilt"
    assert "Avbestilt" in page.locator("dl.facts").inner_text()


def test_the_whole_booking_flow_by_keyboard_alone(server, page):
    day = booking_day(2, 3)
    page.goto(f"{server}/?dato={day}&fra=17:00&til=19:00&type=room&kapasitet=10")
    tab_to(page, ".results a.book")
    page.keyboard.press("Enter")
    page.wait_for_url("**/logg-inn?neste=**")
    tab_to(page, "#email")
    page.keyboard.type(KEYBOARD_PERSON)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(server) + "/bestill/"))
    tab_to(page, "input[name=for]:checked")  # the radio group: Tab reaches the chosen one (the club)
    tab_to(page, "#deltakere")
    page.keyboard.press("Control+A")
    page.keyboard.type("8")
    tab_to(page, "#malgruppe")
    page.keyboard.press("ArrowDown")  # "Barn og unge"
    tab_to(page, "#choice button[type=submit]")
    page.keyboard.press("Enter")  # "Vis pris" works without the script too
    page.wait_for_url("**deltakere=8&malgruppe=children_youth**")
    assert "Kundegruppe: Barn og unge" in page.locator("#result").inner_text()
    tab_to(page, "#formal")
    page.keyboard.type("Strikkekafé")
    tab_to(page, "#ansvarlig_voksen")
    page.keyboard.press("Space")
    tab_to(page, "#vilkar")
    page.keyboard.press("Space")
    tab_to(page, "#branninstruks")
    page.keyboard.press("Space")
    tab_to(page, "#details button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/mine-bestillinger/*?ny=1")
    assert page.locator("h1").inner_text() in ("Bestillingen er bekreftet", "Forespørselen er sendt")
    tab_to(page, "a[href$='/avbestill']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/avbestill")
    tab_to(page, "form.booking button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**?avbestilt=1")
    assert page.locator("h1").inner_text() == "Bestillingen er avbestilt"


def test_an_error_is_announced_and_linked_to_its_field_by_keyboard(server, page):
    log_in(page, server, KEYBOARD_PERSON)
    day = booking_day(3, 1)
    page.goto(f"{server}/bestill/marienlyst-fotballhall-hele?dato={day}&fra=12:00&til=13:00")
    tab_to(page, "#details button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.get_attribute("role") == "alert"
    tab_to(page, ".error-summary a[href='#formal']")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "formal"
    assert page.get_attribute("#formal", "aria-describedby") == "formal-hjelp formal-feil"


@pytest.fixture
def booked(server, page):
    """A booking of the first free room, made through the JSON API with the page's session."""
    log_in(page, server, AXE_PERSON)
    day = booking_day(4, 2)
    page.goto(f"{server}/?dato={day}&fra=16:00&til=20:00&type=room&kapasitet=10")  # free 16–20, booked 18–20
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
            "purpose": "Kurs",
            "attendees": 10,
            "target_group": "adults",
            "organisation_id": club,
            "payment_method": "invoice",
            "accept_terms": True,
            "accept_fire_instructions": True,
        },
        headers={"x-csrftoken": token, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status == 201, answer.text()
    return {"slug": slug, "day": day, "id": answer.json()["id"]}


LOGGED_OUT = [
    ("/branninstruks", "fire-instructions"),
    ("/bestill/marienlyst-fotballhall-hele", "book-logged-out"),
    ("/mine-bestillinger", "my-bookings-logged-out"),
]


@pytest.mark.parametrize("path,name", LOGGED_OUT)
def test_pages_logged_out_have_no_axe_violations(server, page, path, name):
    page.goto(server + path)
    if path != "/branninstruks":
        assert "/logg-inn?neste=" in page.url  # my pages lead to the login page
    both_widths_accessible(page)
    screenshot(page, name)


def test_booking_and_my_pages_logged_in_have_no_axe_violations(server, page, booked):
    slug, day, booking_id = booked["slug"], booked["day"], booked["id"]
    pages = [
        (f"/bestill/{slug}?dato={day}&fra=16:00&til=17:00&malgruppe=adults", "book-quote"),
        (f"/bestill/{slug}?dato={day}&fra=16:00&til=17:00&for=selv", "book-private-no-card"),
        (f"/bestill/{slug}?dato={day}&fra=18:00&til=20:00", "book-refused-with-alternatives"),
        (f"/bestill/{slug}?dato={day}&fra=20:00&til=18:00", "book-time-error"),
        (f"/bestill/{slug}/serie", "series-form"),
        ("/mine-bestillinger", "my-bookings-logged-in"),
        (f"/mine-bestillinger/{booking_id}", "booking-detail"),
        (f"/mine-bestillinger/{booking_id}/avbestill", "cancel-page"),
        ("/mine-organisasjoner", "my-organisations"),
        ("/mine-kalendere", "my-calendars"),
        ("/branninstruks", "fire-instructions-logged-in"),
    ]
    for path, name in pages:
        response = page.goto(server + path)
        assert response.status == 200, path
        both_widths_accessible(page)
        screenshot(page, name)
    page.goto(f"{server}/bestill/{slug}?dato={day}&fra=18:00&til=20:00")
    assert page.locator("#result .alternatives a").count() > 0  # the refusal offers alternatives


def test_form_states_have_no_axe_violations(server, page, booked):
    slug, day = booked["slug"], booked["day"]
    # the details form with its errors
    page.goto(f"{server}/bestill/{slug}?dato={day}&fra=16:00&til=17:00&malgruppe=adults")
    page.click("#details button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    both_widths_accessible(page)
    screenshot(page, "book-details-errors")
    # the series preview with each date's result
    page.goto(f"{server}/bestill/{slug}/serie")
    page.check("#ukedag-wed" if day.weekday() == 2 else "#ukedag")
    page.fill("#fra", "18:00")
    page.fill("#til", "19:30")
    page.fill("#forste", (day - timedelta(days=7)).isoformat())
    page.fill("#siste", (day + timedelta(days=14)).isoformat())
    page.fill("#formal", "Øving")
    page.check("#ansvarlig_voksen")
    page.check("#vilkar")
    page.check("#branninstruks")
    page.click("button[value=forhandsvis]")
    page.wait_for_load_state()
    assert "Slik blir serien" in page.content() and "Kan ikke bestilles" in page.content()
    both_widths_accessible(page)
    screenshot(page, "series-preview")
    # registering an organisation with a wrong number, then a new calendar link
    page.goto(f"{server}/mine-organisasjoner")
    page.fill("#navn", "Testkoret")
    page.fill("#orgnr", "123")
    page.click("form.booking button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#orgnr-feil").count() == 1
    both_widths_accessible(page)
    screenshot(page, "my-organisations-error")
    page.goto(f"{server}/mine-kalendere")
    page.click("text=Lag lenke")
    page.wait_for_load_state()
    assert re.search(r"/kalender/[A-Za-z0-9_-]+\.ics", page.input_value("#lenke-https"))
    both_widths_accessible(page)
    screenshot(page, "my-calendars-new-link")


def test_pages_in_english_have_no_axe_violations(server, page, booked):
    page.goto(f"{server}/mine-bestillinger")
    page.click("form.language button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My bookings"
    both_widths_accessible(page)
    page.goto(f"{server}/bestill/{booked['slug']}?dato={booked['day']}&fra=18:00&til=20:00")
    assert "Cannot be booked:" in page.locator("#result").inner_text()
    both_widths_accessible(page)
    screenshot(page, "book-refused-english")
