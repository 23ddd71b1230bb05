"""Open events ("Hva skjer") through the app on SQLite and PostgreSQL: marking a booking
from its page and through the API (the booker, a delegate of its organisation), refusals
that write nothing, the public page with its facts, filters and window, the iCal feed
(parsed with icalendar), staff hiding an event and showing it again, and a cancelled
booking dropping out. No person's name, e-mail or phone reaches the public."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta, timezone

import icalendar
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from booking.db.engine import write_transaction
from booking.db.models import Building, District, Membership, OpenEvent, Person, Premises
from booking.formatting import day as norwegian_day
from booking.services.accounts import create_person, issue_api_token
from booking.services.bookings import NewBooking, create_booking
from booking.services.rulebook import current_rules
from common.localtime import resolve_local, to_local
from pricing import BookingDetails
from tests.integration.booking_web_support import app_for, assert_problem
from tests.integration.test_staff import PASSWORD, build_staff_world, login_as, post_form

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
# What the world's booker is: none of it may reach the public page or feed.
PERSONAL = ("Kari", "Nordmann", "kari@example.no", "912 34 567", "Dora Delegat", "dora@example.no")


@pytest.fixture
async def events(db):
    """The staff world (tests/integration/test_staff.py): Kari, the club's delegate, with a
    confirmed private booking of the meeting room and a request for the hall on the club's
    behalf; Dora, another delegate of the club; a second district with a hall."""
    world = await build_staff_world(db.session)
    now = datetime.now(timezone.utc)
    dora = await create_person(
        db.session,
        email="dora@example.no",
        name="Dora Delegat",
        password=PASSWORD,
        roles=["person", "delegate"],
        birth_date=date(1985, 1, 1),
    )
    async with db.sessions() as s, write_transaction(s):
        s.add(Membership(organisation_id=world.world.organisation_id, person_id=dora.id))
        stromso = District(slug="stromso", name="Strømsø")
        s.add(stromso)
        await s.flush()
        building = await s.get(Building, world.building_id)
        other = Building(
            slug="elvebyen",
            name="Elvebyen kulturhus",
            address="Elvegata 2",
            district_id=stromso.id,
            department_id=building.department_id,
        )
        s.add(other)
        await s.flush()
        s.add(
            Premises(
                slug="elvesalen",
                name="Elvesalen",
                kind="room",
                tariff_category="moterom",
                building_id=other.id,
                capacity=80,
                opening_hours={d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                hearing_loop=True,
            )
        )
        stranger = await s.scalar(select(Person.id).where(Person.email == "person@example.no"))
    app = app_for(db, "development")
    async with AsyncTestClient(app=app) as client:
        client.staff, client.db = world, db
        client.kari = {
            "Authorization": "Bearer " + await issue_api_token(db.session, world.world.person_id, label="test", now=now)
        }
        client.dora = {"Authorization": "Bearer " + await issue_api_token(db.session, dora.id, label="test", now=now)}
        client.stranger = {
            "Authorization": "Bearer " + await issue_api_token(db.session, stranger, label="test", now=now)
        }
        yield client


def api(booking_id: int) -> str:
    return f"/api/v1/bookings/{booking_id}/open-event"


EVENT = {"title": "Åpen korøvelse", "description": "Syng med oss!\nNoter finnes.", "audience": "all"}


async def rows(db) -> list[OpenEvent]:
    async with db.sessions() as s:
        return list((await s.execute(select(OpenEvent).order_by(OpenEvent.id))).scalars().unique())


async def book(client, slug: str, start: datetime, *, organisation: bool = True, hours: int = 2) -> int:
    world = client.staff.world
    rules = await current_rules(client.db.session)
    booking = await create_booking(
        client.db.session,
        NewBooking(
            slug,
            start,
            start + timedelta(hours=hours),
            world.person_id,
            world.organisation_id if organisation else None,
            BookingDetails("Internt styremøte", 20, "all"),
        ),
        rules=rules,
        now=datetime.now(timezone.utc),
    )
    assert booking.status == "confirmed"
    return booking.id


def text_of(page: str) -> str:
    """The page's words without tags, one space apart."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def feed_events(body: bytes) -> list:
    return [c for c in icalendar.Calendar.from_ical(body).walk("VEVENT")]


# ---------------------------------------------------------------- marking


async def test_the_booker_marks_a_booking_on_its_page_and_the_public_sees_it_without_personal_data(events):
    booking_id, start = events.staff.confirmed_id, events.staff.start
    await login_as(events, "delegate")
    page = await events.get(f"/mine-bestillinger/{booking_id}")
    assert 'action="/mine-bestillinger/%d/arrangement"' % booking_id in page.text
    assert "Vis som åpent arrangement" in page.text
    saved = await post_form(
        events,
        f"/mine-bestillinger/{booking_id}/arrangement",
        {"tittel": " Åpen  korøvelse ", "beskrivelse": "Syng med oss!\r\nNoter finnes.", "publikum": "all"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/mine-bestillinger/{booking_id}?arrangement=lagret#arrangement"
    [event] = await rows(events.db)
    assert (event.booking_id, event.title, event.description, event.audience, event.hidden_at) == (
        booking_id,
        "Åpen korøvelse",
        "Syng med oss!\nNoter finnes.",
        "all",
        None,
    )
    mine = text_of((await events.get(saved.headers["location"])).text)
    assert "Det åpne arrangementet er lagret." in mine and "Vises på «Hva skjer»." in mine

    events.cookies.clear()  # anyone, not logged in
    public = await events.get("/hva-skjer")
    assert public.status_code == 200
    words = text_of(public.text)
    local = to_local(start)
    assert norwegian_day(local.date()).capitalize() in words  # grouped under its Oslo day
    assert "Åpen korøvelse" in words and "Syng med oss!" in words
    assert f"{local:%H:%M}–{local + timedelta(hours=2):%H:%M}" in words
    assert "Møtesalen , Bygget, Torget 1 (Bragernes)" in words
    assert "For alle" in words and "Arrangør Privatperson" in words
    assert "Universell utforming Trinnfri adkomst" in words  # the meeting room's one fact
    for personal in (*PERSONAL, "Internt styremøte", "Styremøte"):  # nor the booking's own purpose
        assert personal not in public.text, personal
    assert '<a href="/hva-skjer">Hva skjer</a>' in public.text  # in the main navigation


async def test_a_delegate_of_the_organisation_marks_its_request_which_is_listed_once_confirmed(events):
    request_id = events.staff.requested_id  # Kari's request for the hall, on the club's behalf
    made = await events.put(api(request_id), json={**EVENT, "audience": "children_youth"}, headers=events.dora)
    assert made.status_code == 201, made.text
    assert made.json()["visibility"] == "awaiting_confirmation" and made.json()["audience"] == "children_youth"
    assert "Åpen korøvelse" not in (await events.get("/hva-skjer")).text  # a request is not certain yet

    await login_as(events, "department_staff")
    approved = await post_form(events, f"/saksbehandling/bestillinger/{request_id}/godkjenn", {"begrunnelse": ""})
    assert approved.status_code == 303
    events.cookies.clear()
    words = text_of((await events.get("/hva-skjer")).text)
    assert "Åpen korøvelse" in words and "Arrangør Bragernes IL" in words and "For barn og unge" in words

    changed = await events.put(api(request_id), json={**EVENT, "title": "Korøvelse for unge"}, headers=events.kari)
    assert changed.status_code == 200 and changed.json()["visibility"] == "listed"
    read = await events.get(api(request_id), headers=events.dora)
    assert read.json()["title"] == "Korøvelse for unge" and read.json()["audience"] == "all"
    [event] = await rows(events.db)
    assert event.revision == 1


async def test_someone_who_may_not_manage_the_booking_is_refused_and_nothing_is_written(events):
    booking_id = events.staff.confirmed_id
    assert_problem(await events.put(api(booking_id), json=EVENT, headers=events.stranger), 403, "not_your_booking")
    await login_as(events, "other_staff")  # staff of a department that does not own the premises
    refused = await post_form(
        events,
        f"/mine-bestillinger/{booking_id}/arrangement",
        {"tittel": "Kapret", "beskrivelse": "", "publikum": "all"},
    )
    assert refused.status_code == 403
    assert await rows(events.db) == []

    assert (await events.put(api(booking_id), json=EVENT, headers=events.kari)).status_code == 201
    assert_problem(
        await events.put(api(booking_id), json={**EVENT, "title": "Kapret"}, headers=events.stranger),
        403,
        "not_your_booking",
    )
    assert_problem(await events.delete(api(booking_id), headers=events.stranger), 403, "not_your_booking")
    assert_problem(await events.get(api(booking_id), headers=events.stranger), 403, "not_your_booking")
    [event] = await rows(events.db)
    assert (event.title, event.revision) == ("Åpen korøvelse", 0)
    assert_problem(await events.put(api(999999), json=EVENT, headers=events.kari), 404, "unknown_booking")


async def test_bad_input_is_refused_field_by_field_and_nothing_is_written(events):
    booking_id = events.staff.confirmed_id
    refused = assert_problem(
        await events.put(
            api(booking_id), json={"title": "  ", "description": "x" * 501, "audience": "adults"}, headers=events.kari
        ),
        422,
        "invalid_input",
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("title", "required"),
        ("description", "too_long"),
        ("audience", "invalid_choice"),
    ]
    assert_problem(
        await events.put(api(booking_id), json={"description": "Uten tittel"}, headers=events.kari),
        422,
        "invalid_input",
    )
    assert_problem(
        await events.put(api(booking_id), json={**EVENT, "title": "Konsert\x00"}, headers=events.kari),
        422,
        "invalid_text",
    )
    assert await rows(events.db) == []

    await login_as(events, "delegate")
    page = await post_form(
        events,
        f"/mine-bestillinger/{booking_id}/arrangement",
        {"tittel": "x" * 121, "beskrivelse": "Beholdes", "publikum": "all"},
    )
    assert page.status_code == 422
    assert "Skjemaet er ikke lagret" in page.text and "Tittelen kan ha høyst 120 tegn." in page.text
    assert 'id="tittel-error"' in page.text and ">Beholdes</textarea>" in page.text  # what was written stays
    assert await rows(events.db) == []

    assert (await events.put(api(booking_id), json=EVENT, headers=events.kari)).status_code == 201
    assert_problem(
        await events.put(api(booking_id), json={**EVENT, "title": ""}, headers=events.kari), 422, "invalid_input"
    )
    [event] = await rows(events.db)
    assert (event.title, event.revision) == ("Åpen korøvelse", 0)


async def test_a_booking_that_is_called_off_cannot_be_marked(events):
    booking_id = events.staff.confirmed_id
    await login_as(events, "delegate")
    cancelled = await post_form(events, f"/mine-bestillinger/{booking_id}/avbestill", {"begrunnelse": ""})
    assert cancelled.status_code == 303
    assert_problem(await events.put(api(booking_id), json=EVENT, headers=events.kari), 409, "booking_not_upcoming")
    assert await rows(events.db) == []
    assert "Vis som åpent arrangement" not in (await events.get(f"/mine-bestillinger/{booking_id}")).text


async def test_the_booker_unmarks_an_event(events):
    booking_id = events.staff.confirmed_id
    assert (await events.put(api(booking_id), json=EVENT, headers=events.kari)).status_code == 201
    await login_as(events, "delegate")
    removed = await post_form(events, f"/mine-bestillinger/{booking_id}/arrangement/fjern")
    assert removed.status_code == 303 and removed.headers["location"].endswith("?arrangement=fjernet#arrangement")
    assert await rows(events.db) == []
    assert "Åpen korøvelse" not in (await events.get("/hva-skjer")).text
    assert_problem(await events.delete(api(booking_id), headers=events.kari), 404, "no_open_event")
    assert (await events.put(api(booking_id), json=EVENT, headers=events.kari)).status_code == 201
    assert (await events.delete(api(booking_id), headers=events.kari)).status_code == 204
    assert await rows(events.db) == []


# ---------------------------------------------------------------- the public page


async def test_the_page_filters_by_district_and_audience(events):
    start = events.staff.start
    bragernes = events.staff.confirmed_id
    stromso = await book(events, "elvesalen", start + timedelta(days=1))
    assert (await events.put(api(bragernes), json=EVENT, headers=events.kari)).status_code == 201
    assert (
        await events.put(api(stromso), json={"title": "Leksehjelp", "audience": "children_youth"}, headers=events.kari)
    ).status_code == 201

    def listed(page) -> list[str]:
        return re.findall(r'<h4 id="arrangement-\d+">([^<]+)</h4>', page.text)

    assert listed(await events.get("/hva-skjer")) == ["Åpen korøvelse", "Leksehjelp"]  # by date
    by_district = await events.get("/hva-skjer?kommunedel=stromso")
    assert listed(by_district) == ["Leksehjelp"]
    assert '<option value="stromso" selected>' in by_district.text
    assert "Teleslynge" in by_district.text and "Arrangør Bragernes IL" in text_of(by_district.text)
    assert listed(await events.get("/hva-skjer?publikum=children_youth")) == ["Leksehjelp"]
    assert listed(await events.get("/hva-skjer?publikum=all")) == ["Åpen korøvelse"]
    assert listed(await events.get("/hva-skjer?kommunedel=bragernes&publikum=children_youth")) == []
    assert listed(await events.get("/hva-skjer?kommunedel=ukjent&publikum=x")) == ["Åpen korøvelse", "Leksehjelp"]
    assert (
        "Ingen åpne arrangementer" in (await events.get("/hva-skjer?kommunedel=bragernes&publikum=children_youth")).text
    )


async def test_the_page_shows_sixty_days_at_a_time_with_a_link_to_later_ones(events):
    today = to_local(datetime.now(timezone.utc)).date()
    far_day = today + timedelta(days=70)
    far = await book(events, "motesalen", resolve_local(datetime.combine(far_day, time(18))))
    assert (await events.put(api(far), json={"title": "Vårkonsert"}, headers=events.kari)).status_code == 201
    first = await events.get("/hva-skjer?publikum=all")
    assert "Vårkonsert" not in first.text and "Tidligere arrangementer" not in first.text
    later = re.search(r'href="/hva-skjer\?([^"]+)">Senere arrangementer', first.text)
    assert later and later.group(1) == f"publikum=all&amp;fra={today + timedelta(days=60)}"
    second = await events.get(f"/hva-skjer?publikum=all&fra={today + timedelta(days=60)}")
    assert "Vårkonsert" in second.text and "Senere arrangementer" not in second.text
    assert f'href="/hva-skjer?publikum=all&amp;fra={today}"' in second.text
    assert (await events.get("/hva-skjer?fra=ikke-en-dato")).status_code == 200


async def test_the_page_in_english(events):
    assert (await events.put(api(events.staff.confirmed_id), json=EVENT, headers=events.kari)).status_code == 201
    page = await events.get("/hva-skjer", headers=ENGLISH)
    words = text_of(page.text)
    assert "What's on" in words and "For everyone" in words and "Organiser Private person" in words
    assert "Step-free access" in words and "Åpen korøvelse" in words


# ---------------------------------------------------------------- the feed


async def test_the_feed_lists_the_events_with_a_stable_uid_and_no_personal_data(events):
    booking_id, start = events.staff.confirmed_id, events.staff.start
    assert (await events.put(api(booking_id), json=EVENT, headers=events.kari)).status_code == 201
    feed = await events.get("/hva-skjer.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    [event] = feed_events(feed.content)
    assert str(event["uid"]) == f"open-event-{booking_id}@lokaler"
    assert str(event["summary"]) == "Åpen korøvelse"
    assert event.decoded("dtstart") == start and event.decoded("dtend") == start + timedelta(hours=2)
    assert str(event["location"]) == "Møtesalen, Bygget, Torget 1"
    description = str(event["description"])
    assert description.startswith("Syng med oss!\nNoter finnes.")
    assert "Arrangør: privatperson" in description and "Universell utforming: Trinnfri adkomst" in description
    assert int(event["sequence"]) == 0 and str(event["status"]) == "CONFIRMED"
    for personal in (*PERSONAL, "Internt styremøte"):
        assert personal not in feed.content.decode(), personal

    etag = feed.headers["etag"]
    assert (await events.get("/hva-skjer.ics", headers={"If-None-Match": etag})).status_code == 304
    assert (
        await events.put(api(booking_id), json={**EVENT, "title": "Ny tittel"}, headers=events.kari)
    ).status_code == 200
    again = await events.get("/hva-skjer.ics", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag
    [changed] = feed_events(again.content)
    assert str(changed["uid"]) == f"open-event-{booking_id}@lokaler" and int(changed["sequence"]) == 1
    assert str(changed["summary"]) == "Ny tittel"


async def test_the_feed_takes_the_page_s_filters(events):
    stromso = await book(events, "elvesalen", events.staff.start + timedelta(days=1))
    assert (await events.put(api(events.staff.confirmed_id), json=EVENT, headers=events.kari)).status_code == 201
    assert (
        await events.put(api(stromso), json={"title": "Leksehjelp", "audience": "children_youth"}, headers=events.kari)
    ).status_code == 201

    async def summaries(query: str) -> list[str]:
        return [str(e["summary"]) for e in feed_events((await events.get(f"/hva-skjer.ics{query}")).content)]

    assert await summaries("") == ["Åpen korøvelse", "Leksehjelp"]
    assert await summaries("?kommunedel=stromso") == ["Leksehjelp"]
    assert await summaries("?publikum=all") == ["Åpen korøvelse"]
    named = icalendar.Calendar.from_ical((await events.get("/hva-skjer.ics?kommunedel=stromso")).content)
    assert str(named["x-wr-calname"]) == "Hva skjer i Strømsø"
    page = await events.get("/hva-skjer?kommunedel=stromso")
    assert "webcal://" in page.text and "/hva-skjer.ics?kommunedel=stromso" in page.text


# ---------------------------------------------------------------- staff, and a booking called off


async def test_staff_hide_an_event_and_show_it_again(events):
    booking_id = events.staff.confirmed_id
    assert (await events.put(api(booking_id), json=EVENT, headers=events.kari)).status_code == 201

    before = await events.get("/hva-skjer.ics")
    assert "last-modified" not in before.headers  # a hidden event leaves no newer stamp: the ETag tells

    await login_as(events, "other_staff")  # their department does not own the premises
    assert "Åpen korøvelse" not in (await events.get("/saksbehandling/arrangementer")).text
    assert (await post_form(events, f"/saksbehandling/arrangementer/{booking_id}/skjul")).status_code == 403
    [event] = await rows(events.db)
    assert event.hidden_at is None

    await login_as(events, "department_staff")
    listing = await events.get("/saksbehandling/arrangementer")
    assert listing.status_code == 200 and "Åpen korøvelse" in listing.text
    assert 'href="/saksbehandling/arrangementer" aria-current="page"' in listing.text
    hidden = await post_form(events, f"/saksbehandling/arrangementer/{booking_id}/skjul")
    assert hidden.status_code == 303
    assert "Arrangementet er skjult fra «Hva skjer»." in (await events.get(hidden.headers["location"])).text
    assert "Åpen korøvelse" not in (await events.get("/hva-skjer")).text
    assert feed_events((await events.get("/hva-skjer.ics")).content) == []
    since = {"If-None-Match": before.headers["etag"]}, {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
    for conditional in since:
        answer = await events.get("/hva-skjer.ics", headers=conditional)
        assert answer.status_code == 200 and feed_events(answer.content) == []

    await login_as(events, "delegate")
    mine = text_of((await events.get(f"/mine-bestillinger/{booking_id}")).text)
    assert "Skjult av kommunen" in mine and "Åpen korøvelse" in mine
    assert "Ikke lenger åpent arrangement" not in mine
    assert_problem(await events.delete(api(booking_id), headers=events.kari), 409, "open_event_hidden")
    edited = await events.put(api(booking_id), json={**EVENT, "title": "Rettet tittel"}, headers=events.kari)
    assert edited.status_code == 200 and edited.json()["visibility"] == "hidden"
    assert "Rettet tittel" not in (await events.get("/hva-skjer")).text

    await login_as(events, "admin")
    assert (await post_form(events, f"/saksbehandling/arrangementer/{booking_id}/vis")).status_code == 303
    assert "Rettet tittel" in (await events.get("/hva-skjer")).text
    assert [str(e["summary"]) for e in feed_events((await events.get("/hva-skjer.ics")).content)] == ["Rettet tittel"]


async def test_a_cancelled_booking_leaves_the_page_and_the_feed(events):
    booking_id = events.staff.confirmed_id
    assert (await events.put(api(booking_id), json=EVENT, headers=events.kari)).status_code == 201
    assert "Åpen korøvelse" in (await events.get("/hva-skjer")).text
    cancelled = await events.post(f"/api/v1/bookings/{booking_id}/cancel", json={}, headers=events.kari)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert "Åpen korøvelse" not in (await events.get("/hva-skjer")).text
    assert feed_events((await events.get("/hva-skjer.ics")).content) == []
    assert (await events.get(api(booking_id), headers=events.kari)).json()["visibility"] == "not_listed"
    assert len(await rows(events.db)) == 1  # derived from the booking's status, not copied
