"""Language: bokmål by default, English by the switch (a cookie) or Accept-Language; the
English catalogue covers every message in the pages; dates and amounts follow."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from booking.db.models import Person
from booking.settings import ROOT
from booking.web.i18n import from_accept_language
from tests.integration.booking_web_support import csrf, log_in, weekday_ahead

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.mark.parametrize(
    "header,language",
    [
        ("", "nb"),
        ("nb-NO,nb;q=0.9", "nb"),
        ("en-US,en;q=0.9", "en"),
        ("nn,en;q=0.5", "nb"),
        ("de-DE,en;q=0.8,nb;q=0.7", "en"),
        ("de", "nb"),
        ("en;q=0.2,no;q=0.8", "nb"),
        ("en;q=x", "nb"),
    ],
)
def test_accept_language(header, language):
    assert from_accept_language(header) == language


async def test_norwegian_by_default_english_by_accept_language(client):
    page = await client.get("/")
    assert '<html lang="nb">' in page.text and "Finn ledig lokale" in page.text
    assert 'value="en" lang="en">English</button>' in page.text
    english = await client.get("/", headers=ENGLISH)
    assert '<html lang="en">' in english.text and "Find a free room" in english.text
    assert "Skip to main content" in english.text and 'lang="nb">Norsk (bokmål)</button>' in english.text


async def test_the_switch_sets_a_cookie_that_wins_over_accept_language(client):
    await client.get("/")
    answer = await client.post(
        "/sprak",
        data={"_csrf_token": csrf(client), "sprak": "en", "neste": "/priser-og-vilkar?x=1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/priser-og-vilkar?x=1"
    assert "sprak=en" in answer.headers["set-cookie"] and "HttpOnly" in answer.headers["set-cookie"]
    terms = await client.get("/priser-og-vilkar", headers={"Accept-Language": "nb"})
    assert "<h1>Prices and terms</h1>" in terms.text and "Hourly rates are pro rata" in terms.text
    assert "NOK\u00a01,145" in terms.text  # kroner in English
    back = await client.post(
        "/sprak", data={"_csrf_token": csrf(client), "sprak": "nb", "neste": "//evil.example"}, follow_redirects=False
    )
    assert back.headers["location"] == "/"
    assert "<h1>Priser og vilkår</h1>" in (await client.get("/priser-og-vilkar", headers=ENGLISH)).text


async def test_the_switch_needs_the_csrf_token(client):
    assert (await client.post("/sprak", data={"sprak": "en"})).status_code == 403


async def test_a_logged_in_choice_is_kept_on_the_account(client):
    await log_in(client, "kari@example.no")
    await client.post("/sprak", data={"_csrf_token": csrf(client), "sprak": "en", "neste": "/"})
    async with client.db.sessions() as s:
        assert (await s.get(Person, client.world.person_id)).language == "en"


async def test_public_pages_in_english(client):
    day = weekday_ahead()
    found = await client.get("/", params={"dato": day.isoformat(), "fra": "18:00", "til": "20:00"}, headers=ENGLISH)
    assert f"premises free {day:%A} {day.day} {day:%B} {day.year}, 18:00–20:00" in found.text
    premises = await client.get("/lokaler/motesalen", params={"uke": day.isoformat()}, headers=ENGLISH)
    assert "Opening hours (Norwegian time)" in premises.text and ">Free<" in premises.text
    assert "Step-free access" in premises.text and "Monday" in premises.text
    missing = await client.get("/lokaler/finnes-ikke", headers=ENGLISH)
    assert missing.status_code == 404 and "No premises &#39;finnes-ikke&#39;." in missing.text
    login = await client.get("/logg-inn", headers=ENGLISH)
    assert "<h1>Log in</h1>" in login.text


async def test_booking_pages_in_english(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    page = await client.get(
        f"/bestill/hallen?dato={day}&fra=18:00&til=20:00&deltakere=150&malgruppe=adults", headers=ENGLISH
    )
    assert "<h1>Book Hallen</h1>" in page.text and "Rent Sports hall, whole" in page.text
    assert "More than 100 attendees need approval." in page.text and "Send request" in page.text
    assert "NOK\u00a01,145" in page.text and "Invoice to the organisation afterwards" in page.text
    minor = await client.get("/mine-bestillinger", headers=ENGLISH)
    assert "You have no upcoming bookings." in minor.text
    await client.post("/logg-ut", data={"_csrf_token": csrf(client)})
    await log_in(client, "ola@example.no")
    refused = await client.get(f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00", headers=ENGLISH)
    assert "The person who books must be at least 18 years old." in refused.text


async def test_field_errors_in_english(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    answer = await client.post(
        "/bestill/motesalen",
        headers=ENGLISH,
        data={
            "_csrf_token": csrf(client),
            "dato": day.isoformat(),
            "fra": "18:00",
            "til": "20:00",
            "for": "selv",
            "deltakere": "3",
            "malgruppe": "adults",
            "alkohol": "nei",
            "nokkel": "e",
        },
    )
    assert answer.status_code == 422
    assert "Say what the premises will be used for." in answer.text
    assert "You must accept the terms to book." in answer.text


def test_the_english_catalogue_covers_every_message():
    """Every message marked in the pages and their handlers has an English translation."""
    method_map = [("booking/web/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "tr": (2,), "N_": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options, keywords=keywords)
    }
    with (ROOT / "locale" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="en")
    translated = {m.id: m.string for m in catalogue if m.id and m.string and "fuzzy" not in m.flags}
    assert sorted(found - translated.keys()) == []
