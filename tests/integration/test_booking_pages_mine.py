"""My pages through the app on SQLite and PostgreSQL: my and my organisations' bookings,
cancelling with the fee shown first, .ics download, feed links, organisations."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, FeedToken, Membership, Organisation, Person
from booking.services.bookings import NewBooking, create_booking
from booking.services.rulebook import current_rules
from common.localtime import OSLO
from pricing import BookingDetails
from tests.integration.booking_web_support import (
    at,
    csrf,
    log_in,
    weekday_ahead,
)

VALID_ORGNR = "923609016"  # Equinor's, a valid mod-11 number


async def book(
    client,
    *,
    day,
    start="18:00",
    end="20:00",
    person_id=None,
    organisation_id=None,
    slug="motesalen",
    payment_method=None,
) -> Booking:
    rules = await current_rules(client.db.session)
    return await create_booking(
        client.db.session,
        NewBooking(
            slug,
            at(day, start),
            at(day, end),
            person_id or client.world.person_id,
            organisation_id,
            BookingDetails("Korøvelse", 10, "adults"),
            payment_method=payment_method,
        ),
        rules=rules,
        now=datetime.now(timezone.utc),
    )


async def test_my_pages_need_login(client):
    for path in (
        "/mine-bestillinger",
        "/mine-bestillinger/1",
        "/mine-bestillinger/1/avbestill",
        "/mine-organisasjoner",
        "/mine-kalendere",
        "/kalender/booking/1.ics",
    ):
        answer = await client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/logg-inn?neste="), path


async def test_my_bookings_lists_mine_and_my_organisations(client):
    day = weekday_ahead()
    mine = await book(client, day=day)
    other_delegate = await _adult(client, "Per Delegat", "per@example.no", delegate=True)
    theirs = await book(
        client,
        day=day,
        start="10:00",
        end="11:00",
        person_id=other_delegate,
        organisation_id=client.world.organisation_id,
    )
    stranger = await book(
        client, day=day, start="12:00", end="13:00", person_id=await _adult(client, "Siri Fremmed", "siri@example.no")
    )
    await log_in(client, "kari@example.no")
    page = await client.get("/mine-bestillinger")
    assert page.status_code == 200
    assert f'href="/mine-bestillinger/{mine.id}"' in page.text
    assert f'href="/mine-bestillinger/{theirs.id}"' in page.text and "bestilt av Per Delegat" in page.text
    assert f'href="/mine-bestillinger/{stranger.id}"' not in page.text
    assert "Kommende (2)" in page.text and "Tidligere (0)" in page.text
    assert (await client.get(f"/mine-bestillinger/{theirs.id}")).status_code == 200
    forbidden = await client.get(f"/mine-bestillinger/{stranger.id}")
    assert forbidden.status_code == 403 and "not_your_booking" in forbidden.text
    assert (await client.get("/mine-bestillinger/999999")).status_code == 404


async def _adult(client, name: str, email: str, *, delegate: bool = False) -> int:
    async with client.db.sessions() as s, write_transaction(s):
        person = Person(name=name, email=email, roles=["person"], birth_date=date(1975, 1, 1))
        s.add(person)
        await s.flush()
        if delegate:
            s.add(Membership(organisation_id=client.world.organisation_id, person_id=person.id))
        return person.id


async def test_cancel_shows_the_fee_first_then_cancels(client):
    day = weekday_ahead()
    booking = await book(client, day=day)
    await log_in(client, "kari@example.no")
    detail = await client.get(f"/mine-bestillinger/{booking.id}")
    assert f'href="/mine-bestillinger/{booking.id}/avbestill"' in detail.text and "Gratis avbestilling" in detail.text
    confirm = await client.get(f"/mine-bestillinger/{booking.id}/avbestill")
    assert "Det koster 0\u00a0kr å avbestille nå." in confirm.text
    assert "Avbestilling er gratis fram til 48 timer før start" in confirm.text
    done = await client.post(
        f"/mine-bestillinger/{booking.id}/avbestill",
        data={"_csrf_token": csrf(client), "begrunnelse": "Flyttet møtet"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/mine-bestillinger/{booking.id}?avbestilt=1"
    page = await client.get(done.headers["location"])
    assert "Bestillingen er avbestilt" in page.text and "Avbestilt av Kari Nordmann" in page.text
    async with client.db.sessions() as s:
        row = await s.get(Booking, booking.id)
        history = (
            (
                await s.execute(
                    select(BookingHistory).where(BookingHistory.booking_id == booking.id).order_by(BookingHistory.id)
                )
            )
            .scalars()
            .all()
        )
    assert row.status == "cancelled"
    assert history[-1].actor_id == client.world.person_id and "Begrunnelse: Flyttet møtet" in history[-1].reason
    # Cancelling twice is refused in words, not with a crash.
    again = await client.post(f"/mine-bestillinger/{booking.id}/avbestill", data={"_csrf_token": csrf(client)})
    assert again.status_code == 409 and "kan ikke bli avbestilt" in again.text
    back = await client.get(f"/mine-bestillinger/{booking.id}/avbestill", follow_redirects=False)
    assert back.status_code == 303


async def test_late_cancellation_of_a_confirmed_booking_costs_half(client):
    soon = (datetime.now(timezone.utc) + timedelta(hours=30)).astimezone(OSLO)
    start = soon.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    rules = await current_rules(client.db.session)
    booking = await create_booking(
        client.db.session,
        NewBooking(
            "motesalen",
            start,
            start + timedelta(hours=2),
            client.world.person_id,
            client.world.organisation_id,
            BookingDetails("Møte", 5, "adults"),
            payment_method="invoice",
        ),
        rules=rules,
        now=datetime.now(timezone.utc),
    )
    await log_in(client, "kari@example.no")
    confirm = await client.get(f"/mine-bestillinger/{booking.id}/avbestill")
    assert "Det koster 75\u00a0kr å avbestille nå." in confirm.text  # 50 % of 150 kr inside 48 hours
    assert "75\u00a0kr blir ikke fakturert." in confirm.text


async def test_others_cannot_cancel(client):
    booking = await book(client, day=weekday_ahead())
    await log_in(client, "ola@example.no")
    answer = await client.post(f"/mine-bestillinger/{booking.id}/avbestill", data={"_csrf_token": csrf(client)})
    assert answer.status_code == 403
    async with client.db.sessions() as s:
        assert (await s.get(Booking, booking.id)).status == "confirmed"


async def test_cancel_needs_the_csrf_token(client):
    booking = await book(client, day=weekday_ahead())
    await log_in(client, "kari@example.no")
    answer = await client.post(f"/mine-bestillinger/{booking.id}/avbestill", data={})
    assert answer.status_code == 403


async def test_ics_download_for_the_booker_only(client):
    booking = await book(client, day=weekday_ahead())
    await log_in(client, "kari@example.no")
    answer = await client.get(f"/kalender/booking/{booking.id}.ics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert f"booking-{booking.id}@lokaler" in answer.text and "BEGIN:VEVENT" in answer.text
    assert "attachment" in answer.headers["content-disposition"]
    assert (await client.get(f"/kalender/booking/{booking.id}.txt")).status_code == 404
    await client.post("/logg-ut", data={"_csrf_token": csrf(client)})
    await log_in(client, "ola@example.no")
    assert (await client.get(f"/kalender/booking/{booking.id}.ics")).status_code == 403


async def test_feed_links_are_made_shown_once_rotated_and_deleted(client):
    await log_in(client, "kari@example.no")
    page = await client.get("/mine-kalendere")
    assert page.status_code == 200 and "Bragernes IL" in page.text and "Mine egne bestillinger" in page.text
    made = await client.post(
        "/mine-kalendere",
        data={
            "_csrf_token": csrf(client),
            "handling": "ny",
            "kalender": f"organisation:{client.world.organisation_id}",
        },
    )
    url = re.search(r'id="lenke-https" value="(http://[^"]+/kalender/[A-Za-z0-9_-]+\.ics)"', made.text).group(1)
    feed = await client.get(url.split("127.0.0.1:8000")[1])
    assert feed.status_code == 200 and "BEGIN:VCALENDAR" in feed.text
    async with client.db.sessions() as s:
        (token,) = (await s.execute(select(FeedToken))).scalars().all()
    rotated = await client.post(
        "/mine-kalendere", data={"_csrf_token": csrf(client), "handling": "bytt", "lenke": str(token.id)}
    )
    new_url = re.search(r'id="lenke-https" value="([^"]+)"', rotated.text).group(1)
    assert new_url != url and (await client.get(url.split("127.0.0.1:8000")[1])).status_code == 404
    listed = await client.get("/mine-kalendere")
    assert new_url not in listed.text  # shown once only
    async with client.db.sessions() as s:
        live = (await s.execute(select(FeedToken).where(FeedToken.revoked_at.is_(None)))).scalars().all()
    await client.post(
        "/mine-kalendere", data={"_csrf_token": csrf(client), "handling": "slett", "lenke": str(live[0].id)}
    )
    assert (await client.get(new_url.split("127.0.0.1:8000")[1])).status_code == 404
    refused = await client.post(
        "/mine-kalendere", data={"_csrf_token": csrf(client), "handling": "ny", "kalender": "organisation:999999"}
    )
    assert refused.status_code == 404


async def test_my_organisations_and_registering_one(client):
    await log_in(client, "kari@example.no")
    page = await client.get("/mine-organisasjoner")
    assert "Bragernes IL" in page.text and "kari@example.no" in page.text
    bad = await client.post(
        "/mine-organisasjoner", data={"_csrf_token": csrf(client), "navn": "Nytt kor", "orgnr": "123456789"}
    )
    assert bad.status_code == 422 and 'id="orgnr-feil"' in bad.text and 'aria-invalid="true"' in bad.text
    assert 'value="Nytt kor"' in bad.text
    empty = await client.post(
        "/mine-organisasjoner", data={"_csrf_token": csrf(client), "navn": "", "orgnr": VALID_ORGNR}
    )
    assert empty.status_code == 422 and 'id="navn-feil"' in empty.text
    made = await client.post(
        "/mine-organisasjoner",
        data={
            "_csrf_token": csrf(client),
            "navn": "Nytt kor",
            "orgnr": VALID_ORGNR,
            "in_frivillighetsregisteret": "ja",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = await client.get(made.headers["location"])
    assert "Organisasjonen er registrert" in page.text and "Nytt kor" in page.text
    async with client.db.sessions() as s:
        org = await s.scalar(select(Organisation).where(Organisation.orgnr == VALID_ORGNR))
    assert org.in_frivillighetsregisteret and not org.commercial
    twice = await client.post(
        "/mine-organisasjoner", data={"_csrf_token": csrf(client), "navn": "Igjen", "orgnr": VALID_ORGNR}
    )
    assert twice.status_code == 409 and "allerede registrert" in twice.text


async def test_registering_makes_a_person_a_delegate(client):
    await log_in(client, "ola@example.no")
    await client.post(
        "/mine-organisasjoner", data={"_csrf_token": csrf(client), "navn": "Ungdomsklubben", "orgnr": VALID_ORGNR}
    )
    async with client.db.sessions() as s:
        ola = await s.get(Person, client.world.minor_id)
    assert "delegate" in ola.roles
