"""Pictures of premises in a real headless Chromium on the seeded sample municipality:
culture staff upload a photo with its alt text (a missing alt text is refused at its
field first), and it shows on the premises page, loaded at the size the page reserved;
the sample's drawn pictures show in search results. axe-core finds nothing on any of it."""

from __future__ import annotations

from datetime import date, timedelta

from PIL import Image, ImageDraw

from tests.e2e.test_staff_pages import CULTURE_STAFF, check_page, login

PREMISES = "svelvik-samfunnshus-peisestua"  # Kultur's, without a sample picture; no other browser test uses it
ALT = "Peisestua med peis, sofaer og et rundt bord"


def a_photo(path) -> str:
    image = Image.new("RGB", (2400, 1600), (200, 120, 60))
    ImageDraw.Draw(image).rectangle((900, 500, 1500, 1300), fill=(60, 40, 30))  # the fireplace
    image.save(path, "JPEG", quality=85)
    return str(path)


def test_staff_upload_a_photo_that_shows_on_the_premises_page(server, page, tmp_path):
    login(page, server, CULTURE_STAFF)
    page.goto(server + f"/saksbehandling/lokaler/{PREMISES}")
    assert "Lokalet har ingen bilder ennå." in page.content()
    page.set_input_files("#bilde", a_photo(tmp_path / "peisestua.jpg"))
    page.get_by_role("button", name="Last opp bildet").click()
    page.wait_for_load_state()
    assert "Skriv en alternativ tekst på norsk" in page.locator(".error-summary").inner_text()
    assert page.locator("#alt_nb[aria-invalid=true]").count() == 1
    check_page(page, "staff-photo-refused")

    page.set_input_files("#bilde", a_photo(tmp_path / "peisestua.jpg"))  # a refused form keeps no file
    page.fill("#alt_nb", ALT)
    page.get_by_role("button", name="Last opp bildet").click()
    page.wait_for_url(f"**/saksbehandling/lokaler/{PREMISES}?bilde=lagt-til#bilder")
    assert "Bildet er lagt til." in page.locator("p.done").inner_text()
    assert page.locator(".photo-list li").count() == 1
    check_page(page, "staff-photo-added")

    page.goto(server + f"/lokaler/{PREMISES}")
    photo = page.get_by_role("img", name=ALT)
    assert photo.count() == 1
    photo.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1600, 1067]
    assert (photo.get_attribute("width"), photo.get_attribute("height")) == ("1600", "1067")
    check_page(page, "premises-with-photo")


def test_search_results_show_the_sample_pictures(server, page):
    tuesday = date.today() + timedelta(days=(1 - date.today().weekday()) % 7 + 7)
    page.goto(server + f"/?dato={tuesday.isoformat()}&fra=10:00&til=11:00")
    thumbs = page.locator(".results img.thumb")
    assert thumbs.count() > 0, "the sample draws pictures for every fourth premises"
    assert page.locator(".results > li").count() > thumbs.count()  # and results without one still show
    first = thumbs.first
    assert first.get_attribute("alt").startswith("Tegning av ")
    first.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first.element_handle())
    check_page(page, "search-with-photos")
