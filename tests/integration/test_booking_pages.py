"""Booking in the browser, through the app on SQLite and PostgreSQL: the quote page,
the details form with errors tied to fields, the result, refusals with alternatives,
weekly series with a preview, and the payment hook."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from booking.db.models import Booking, BookingSeries, Premises
from booking.settings import from_environment
from booking.web.app import create_app
from tests.integration.booking_web_support import at, csrf, log_in, weekday_ahead


def page_key(page) -> str:
    return re.search(r'name="nokkel" value="([^"]+)"', page.text).group(1)


def details(client, day, **changes) -> dict:
    """The club books for adults: the voluntary-organisation price, paid by invoice."""
    form = {
        "_csrf_token": csrf(client),
        "dato": day.isoformat(),
        "fra": "18:00",
        "til": "20:00",
        "for": str(client.world.organisation_id),
        "betaling": "invoice",
        "deltakere": "12",
        "malgruppe": "adults",
        "alkohol": "nei",
        "formal": "Styremøte",
        "ansvarlig_navn": "Kari Nordmann",
        "ansvarlig_telefon": "+47 900 00 000",
        "ansvarlig_voksen": "ja",
        "vilkar": "ja",
        "branninstruks": "ja",
        "nokkel": "k1",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


async def bookings(db) -> list[Booking]:
    async with db.sessions() as s:
        return list((await s.execute(select(Booking).order_by(Booking.id))).scalars())


async def test_booking_needs_login_and_comes_back_to_the_chosen_time(client):
    day = weekday_ahead()
    answer = await client.get(f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00", follow_redirects=False)
    assert answer.status_code == 303
    wanted = f"/bestill/motesalen%3Fdato%3D{day}%26fra%3D18%3A00%26til%3D20%3A00"
    assert answer.headers["location"] == f"/logg-inn?neste={wanted}"
    login = await client.get(answer.headers["location"])
    assert f'value="/bestill/motesalen?dato={day}&amp;fra=18:00&amp;til=20:00"' in login.text


async def test_quote_page_shows_price_explanation_and_the_details_form(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    page = await client.get(
        f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00&for={client.world.organisation_id}"
        "&deltakere=10&malgruppe=adults"
    )
    assert page.status_code == 200
    assert "Leie Møterom, hverdag, 2 t" in page.text and "150\u00a0kr" in page.text
    assert "Kundegruppe: Frivillig organisasjon (faktor 0,5)" in page.text  # the explanation
    assert "Bestillingen blir bekreftet med en gang" in page.text
    assert 'id="details"' in page.text and 'name="nokkel"' in page.text
    assert 'name="betaling" value="invoice" id="betaling" checked' in page.text  # the one way to pay
    assert '<script src="/static/booking.js" defer></script>' in page.text
    club = await client.get(
        f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00&for={client.world.organisation_id}&malgruppe=children_youth"
    )
    assert "Barn og unge" in club.text and 'Totalt</th><td class="amount"><strong>0\u00a0kr' in club.text


async def test_details_errors_are_listed_and_tied_to_their_fields(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    answer = await client.post(
        "/bestill/motesalen", data=details(client, day, formal="", vilkar=None, ansvarlig_voksen=None)
    )
    assert answer.status_code == 422
    text = answer.text
    assert 'class="error-summary ds-error-summary"' in text and 'href="#formal"' in text and 'href="#vilkar"' in text
    assert re.search(r'id="formal"[^>]*aria-invalid="true" aria-describedby="formal-hjelp formal-feil"', text)
    assert 'id="formal-feil"' in text and 'id="vilkar-feil"' in text and 'id="ansvarlig_voksen-feil"' in text
    assert await bookings(client.db) == []


async def test_a_booking_is_made_once_and_shown_as_confirmed(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    form = details(client, day)
    first = await client.post("/bestill/motesalen", data=form, follow_redirects=False)
    assert first.status_code == 303 and re.fullmatch(r"/mine-bestillinger/\d+\?ny=1", first.headers["location"])
    again = await client.post("/bestill/motesalen", data=form, follow_redirects=False)  # a double click
    assert again.headers["location"] == first.headers["location"]
    (booking,) = await bookings(client.db)
    assert booking.status == "confirmed" and booking.start_at == at(day, "18:00")
    assert booking.payment_method == "invoice" and booking.organisation_id == client.world.organisation_id
    assert (booking.responsible_name, booking.responsible_phone) == ("Kari Nordmann", "+47 900 00 000")
    assert booking.purpose == "Styremøte" and booking.attendees == 12 and booking.target_group == "adults"
    result = await client.get(first.headers["location"])
    assert "Bestillingen er bekreftet" in result.text and "150\u00a0kr" in result.text
    assert f'href="/kalender/booking/{booking.id}.ics"' in result.text


async def test_a_taken_time_is_explained_with_alternatives(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    await client.post("/bestill/motesalen", data=details(client, day), follow_redirects=False)
    page = await client.get(f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00")
    assert "Kan ikke bestilles:" in page.text and "Tiden er ikke ledig" in page.text
    assert "Opptatt fra kl. 17:45 til kl. 20:15" in page.text  # the claim with its buffers
    assert 'Totalt</th><td class="amount"><strong>150\u00a0kr' in page.text  # the price beside the refusal
    assert "Bestillingen blir bekreftet med en gang" not in page.text
    # the nearest free times that day (the room keeps 15 minutes on each side) …
    assert f"/bestill/motesalen?dato={day}&amp;fra=15%3A30&amp;til=17%3A30" in page.text
    assert f"/bestill/motesalen?dato={day}&amp;fra=20%3A30&amp;til=22%3A30" in page.text
    # … and a similar room nearby (same district and kind, at least as large), free then
    assert f"/bestill/klasserom-1?dato={day}" in page.text
    # Submitting the taken time anyway is refused the same way, with a 409.
    refused = await client.post("/bestill/motesalen", data=details(client, day, nokkel="k2"), follow_redirects=False)
    assert refused.status_code == 409 and "Tiden er ikke ledig" in refused.text
    assert 'Totalt</th><td class="amount"><strong>150\u00a0kr' in refused.text
    assert "/bestill/klasserom-1" in refused.text


async def test_a_rule_refusal_is_explained_without_pointless_alternatives(client):
    await log_in(client, "ola@example.no")  # born 2012
    page = await client.get(f"/bestill/motesalen?dato={weekday_ahead()}&fra=18:00&til=20:00")
    assert "Den som bestiller må være minst 18 år." in page.text
    assert "Forslag" not in page.text


async def test_outside_opening_hours_suggests_times_that_are_open(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    page = await client.get(f"/bestill/klasserom-1?dato={day}&fra=14:00&til=15:00")
    assert "utenfor åpningstiden" in page.text
    assert f"/bestill/klasserom-1?dato={day}&amp;fra=16%3A00&amp;til=17%3A00" in page.text


async def test_a_booking_that_needs_approval_is_sent_as_a_request(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    page = await client.get(f"/bestill/hallen?dato={day}&fra=18:00&til=20:00&deltakere=150&malgruppe=adults")
    assert "Må godkjennes:" in page.text and "Mer enn 100 deltakere krever godkjenning." in page.text
    assert "Send forespørsel" in page.text
    answer = await client.post("/bestill/hallen", data=details(client, day, deltakere="150"), follow_redirects=False)
    result = await client.get(answer.headers["location"])
    assert "Forespørselen er sendt" in result.text and "Venter på godkjenning" in result.text


async def test_time_errors_are_tied_to_the_time_fields(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    page = await client.get(f"/bestill/motesalen?dato={day}&fra=20:00&til=18:00")
    assert 'href="#til"' in page.text and 'id="til-feil"' in page.text
    assert 'id="details"' not in page.text
    bad = await client.get("/bestill/motesalen?dato=i-morgen&fra=25:00&til=x")
    assert bad.status_code == 200 and 'id="dato-feil"' in bad.text and 'id="fra-feil"' in bad.text
    gap = await client.get("/bestill/motesalen?dato=2027-03-28&fra=02:30&til=04:00")
    assert "finnes ikke" in gap.text
    missing = await client.get("/bestill/finnes-ikke")
    assert missing.status_code == 404


async def test_only_my_organisations_can_be_chosen(client):
    await log_in(client, "ola@example.no")
    page = await client.get(f"/bestill/motesalen?dato={weekday_ahead()}&for={client.world.organisation_id}")
    assert 'id="for-feil"' in page.text


async def test_series_preview_writes_nothing_then_confirm_books(client):
    await log_in(client, "kari@example.no")
    first, last = weekday_ahead(1, 2), weekday_ahead(1, 5)
    page = await client.get("/bestill/motesalen/serie")
    assert page.status_code == 200 and "Bragernes IL" in page.text
    form = details(
        client,
        first,
        fra="18:00",
        til="19:30",
        forste=first.isoformat(),
        siste=last.isoformat(),
        ukedag="tue",
        **{"for": str(client.world.organisation_id)},
    )
    await client.post(
        "/bestill/motesalen", data=details(client, weekday_ahead(1, 3), nokkel="x"), follow_redirects=False
    )  # one of the Tuesdays is taken
    preview = await client.post("/bestill/motesalen/serie", data={**form, "handling": "forhandsvis"})
    assert preview.status_code == 200
    assert "Slik blir serien" in preview.text and "3 av 4 datoer kan bestilles" in preview.text
    assert "Tiden er ikke ledig" in preview.text and 'value="bekreft"' in preview.text
    assert len(await bookings(client.db)) == 1
    done = await client.post("/bestill/motesalen/serie", data={**form, "handling": "bekreft"})
    assert done.status_code == 201 and "3 av 4 datoer er bestilt." in done.text
    made = [b for b in await bookings(client.db) if b.series_id]
    assert len(made) == 3 and {b.organisation_id for b in made} == {client.world.organisation_id}
    assert {(b.responsible_name, b.responsible_phone) for b in made} == {("Kari Nordmann", "+47 900 00 000")}


async def test_a_series_sent_twice_is_made_once_and_one_with_no_free_date_is_not_made(client):
    await log_in(client, "kari@example.no")
    first, last = weekday_ahead(1, 2), weekday_ahead(1, 4)
    page = await client.get("/bestill/motesalen/serie")
    assert 'name="til" value="20:00"' in page.text  # the default fits every slot granularity
    key = page.text.split('name="nokkel" value="')[1].split('"')[0]
    form = details(
        client,
        first,
        fra="18:00",
        til="20:00",
        forste=first.isoformat(),
        siste=last.isoformat(),
        ukedag="tue",
        nokkel=key,
        **{"for": str(client.world.organisation_id)},
    )
    done = await client.post("/bestill/motesalen/serie", data={**form, "handling": "bekreft"})
    assert done.status_code == 201 and "3 av 3 datoer er bestilt." in done.text
    assert "ikke kunne bestilles" not in done.text
    again = await client.post("/bestill/motesalen/serie", data={**form, "handling": "bekreft"})  # a reload
    assert again.status_code == 201 and "3 av 3 datoer er bestilt." in again.text
    made = [b for b in await bookings(client.db) if b.series_id]
    assert len(made) == 3 and len({b.series_id for b in made}) == 1

    taken = {**form, "nokkel": "annen-fane"}  # the same dates from a new form: none is free now
    preview = await client.post("/bestill/motesalen/serie", data={**taken, "handling": "forhandsvis"})
    assert "0 av 3 datoer kan bestilles" in preview.text and 'value="bekreft"' not in preview.text
    refused = await client.post("/bestill/motesalen/serie", data={**taken, "handling": "bekreft"})
    assert refused.status_code == 422 and "Ingen av datoene kan bestilles" in refused.text
    async with client.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(BookingSeries)) == 1


async def test_series_form_errors(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    form = details(
        client,
        day,
        forste=day.isoformat(),
        siste=(day.replace(year=day.year - 1)).isoformat(),
        **{"for": str(client.world.organisation_id)},
    )
    answer = await client.post("/bestill/motesalen/serie", data={**form, "handling": "forhandsvis"})
    assert answer.status_code == 422 and 'id="ukedag-feil"' in answer.text
    form["ukedag"] = "tue"
    answer = await client.post("/bestill/motesalen/serie", data={**form, "handling": "forhandsvis"})
    assert answer.status_code == 422 and 'id="siste-feil"' in answer.text
    form["for"] = "424242"  # not one of mine
    answer = await client.post("/bestill/motesalen/serie", data={**form, "handling": "forhandsvis"})
    assert answer.status_code == 422 and 'id="for-feil"' in answer.text


async def test_series_page_offers_a_person_without_organisation_a_series_of_their_own(client):
    await log_in(client, "ola@example.no")
    page = await client.get("/bestill/motesalen/serie")
    assert 'name="ukedag"' in page.text and '<option value="selv" selected>' in page.text
    assert 'href="/mine-organisasjoner"' in page.text  # and the way to register an organisation


async def test_without_card_a_private_person_is_invoiced_without_being_asked(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    page = await client.get(f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00&for=selv")
    assert "300\u00a0kr" in page.text and "Kundegruppe: Privat" in page.text
    assert "Kortbetaling er ikke tilgjengelig akkurat nå." in page.text  # no card provider in the tests
    assert 'name="betaling" value="invoice" id="betaling" checked' in page.text  # the one way left
    made = await client.post(
        "/bestill/motesalen", data=details(client, day, **{"for": "selv", "betaling": None}), follow_redirects=False
    )
    assert made.status_code == 303, made.text
    assert [(b.organisation_id, b.payment_method, b.status) for b in await bookings(client.db)] == [
        (None, "invoice", "confirmed")
    ]


def with_card_payments(client) -> AsyncTestClient:
    """The same database and world through an app with a card provider configured (no
    call reaches Stripe before the payment page)."""
    card_client = AsyncTestClient(
        app=create_app(
            from_environment(
                {
                    "BOOKING_DATABASE_URL": client.db.url,
                    "BOOKING_STRIPE_SECRET_KEY": "sk_test_pages",
                    "BOOKING_STRIPE_WEBHOOK_SECRET": "whsec_pages",
                }
            )
        )
    )
    card_client.db, card_client.world = client.db, client.world
    return card_client


async def test_payment_hook_sends_a_held_booking_on_to_payment(client):
    from booking.web import booking_pages

    day = weekday_ahead()
    async with with_card_payments(client) as card_client:
        await log_in(card_client, "kari@example.no")
        page = await card_client.get(f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00&for=selv")
        assert 'name="betaling" value="card"' in page.text
        missing = await card_client.post(
            "/bestill/motesalen", data=details(card_client, day, **{"for": "selv", "betaling": None})
        )
        assert missing.status_code == 422 and 'id="betaling-feil"' in missing.text
        answer = await card_client.post(
            "/bestill/motesalen",
            data=details(card_client, day, **{"for": "selv", "betaling": "card"}),
            follow_redirects=False,
        )
    (booking,) = await bookings(client.db)
    assert booking.status == "held" and booking.payment_method == "card"
    assert answer.headers["location"] == booking_pages.payment_url(booking.id)


async def test_free_bookings_ask_for_no_payment(client):
    async with with_card_payments(client) as card_client:
        await log_in(card_client, "kari@example.no")
        page = await card_client.get(
            f"/bestill/motesalen?dato={weekday_ahead()}&for={client.world.organisation_id}&malgruppe=children_youth"
        )
        assert 'name="betaling"' not in page.text
        priced = await card_client.get(f"/bestill/motesalen?dato={weekday_ahead()}&fra=18:00&til=20:00&for=selv")
        assert 'name="betaling" value="card"' in priced.text  # the same page with a price asks


async def test_fire_instructions_are_public(client):
    page = await client.get("/branninstruks")
    assert page.status_code == 200 and "110" in page.text


async def test_search_results_and_premises_page_lead_to_booking(client):
    day = weekday_ahead()
    found = await client.get("/", params={"dato": day.isoformat(), "fra": "18:00", "til": "20:00"})
    assert f'href="/bestill/motesalen?dato={day}&amp;fra=18:00&amp;til=20:00"' in found.text
    premises = await client.get("/lokaler/motesalen")
    assert 'action="/bestill/motesalen"' in premises.text and 'id="bestill-dato"' in premises.text
    async with client.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Premises)) == 5
