"""Public pages in a real headless Chromium: keyboard search, the premises page, and
axe-core (WCAG 2.0 A/AA, 2.1 AA) finding nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import screenshot

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page) -> None:
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(
    "path,name",
    [
        ("/", "search"),
        (f"/?dato={date.today() + timedelta(days=7)}&fra=18:00&til=20:00", "search-results"),  # counted from today
        ("/lokaler/marienlyst-fotballhall-hele", "premises"),
        ("/priser-og-vilkar", "terms"),
        ("/lokaler/finnes-ikke", "not-found"),
    ],
)
def test_page_has_no_axe_violations(server, page, path, name):
    response = page.goto(server + path)
    assert response.status == (404 if name == "not-found" else 200)
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    screenshot(page, name)


def _same_day_and_month_ahead() -> date:
    """The next date at least two days ahead whose day and month are the same number (not 1 January, a holiday)."""
    today = date.today()
    return min(
        d for d in (date(today.year + y, m, m) for y in (0, 1) for m in range(2, 13)) if d >= today + timedelta(days=2)
    )


def test_search_by_keyboard_alone_then_open_a_result(server, page):
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hopp til hovedinnholdet"
    page.focus("#dato")
    ahead = _same_day_and_month_ahead()  # the same date whether the field reads dd.mm or mm/dd
    page.keyboard.type(ahead.strftime("%d%m%Y"))
    page.focus("#type")
    page.keyboard.press("ArrowDown")  # "Rom"
    page.focus("#kapasitet")
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?dato=*")
    assert f"dato={ahead}" in page.url and "type=room" in page.url and "kapasitet=10" in page.url
    heading = page.locator("#treff").inner_text()
    assert "ledige lokaler" in heading
    first = page.locator(".results h4 a").first  # a premises under its district (h3)
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/lokaler/**")
    assert page.locator("table.week").count() == 1
    page.locator(".weeknav a", has_text="Neste uke").focus()  # this week's hours may all have passed
    page.keyboard.press("Enter")
    page.wait_for_url("**uke=*")
    assert page.locator("table.week td", has_text="Ledig").count() > 0
