"""Staff work through the app on SQLite and PostgreSQL: the approval queue, the premises
editor and closures (department staff only for their own department), the caretaker's
list. The fixtures here are shared by the other staff tests and the route-guard test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import (
    Booking,
    BookingHistory,
    Building,
    Closure,
    Department,
    OutboxMail,
    Person,
    Premises,
)
from booking.notify.sender import render_pending
from booking.services.bookings import NewBooking, create_booking
from booking.services.rulebook import current_rules
from common.localtime import resolve_local, to_local
from pricing import BookingDetails
from tests.integration.booking_web_support import app_for
from tests.world import World, build_world, password_hash

PASSWORD = "lokaler-test-1"
EMAILS = {
    "person": "person@example.no",
    "delegate": "kari@example.no",  # the world's delegate of Bragernes IL
    "caretaker": "vaktmester@example.no",
    "department_staff": "idrett@example.no",  # staff of the department that owns the world's building
    "other_staff": "skole@example.no",  # staff of a department that owns nothing here
    "admin": "admin@example.no",
}


@dataclass
class StaffWorld:
    world: World
    requested_id: int  # a request (150 attendees) for the hall, next week
    confirmed_id: int  # a confirmed meeting in the meeting room, next week
    start: datetime
    building_id: int


def next_weekday(weekday: int, hour: int, *, weeks: int = 1) -> datetime:
    today = to_local(datetime.now(timezone.utc)).date()
    day = today + timedelta(days=7 * weeks - today.weekday() + weekday)
    return resolve_local(datetime.combine(day, time(hour)))


async def build_staff_world(session: AsyncSession) -> StaffWorld:
    world = await build_world(session)
    hashed = password_hash(PASSWORD)

    def account(name: str, who: str, *roles: str, **more) -> Person:
        return Person(
            name=name,
            email=EMAILS[who],
            roles=sorted({"person", *roles}),
            birth_date=date(1980, 1, 1),
            password_hash=hashed,
            **more,
        )

    async with write_transaction(session) as s:
        sport = (await s.execute(select(Department).where(Department.slug == "idrett"))).scalar_one()
        school = (await s.execute(select(Department).where(Department.slug == "skole"))).scalar_one()
        building = (await s.execute(select(Building))).scalar_one()
        await s.execute(
            update(Person).where(Person.id == world.person_id).values(password_hash=hashed, phone="912 34 567")
        )
        caretaker = account("Vera Vaktmester", "caretaker", "caretaker")
        s.add_all(
            [
                account("Per Person", "person"),
                caretaker,
                account("Ida Idrett", "department_staff", "department_staff", department_id=sport.id),
                account("Siri Skole", "other_staff", "department_staff", department_id=school.id),
                account("Ada Admin", "admin", "admin"),
            ]
        )
        await s.flush()
        await s.execute(update(Building).where(Building.id == building.id).values(caretaker_id=caretaker.id))
    rules = await current_rules(session)
    now = datetime.now(timezone.utc)
    start = next_weekday(1, 18)
    requested = await create_booking(
        session,
        NewBooking(
            world.hall,
            start,
            start + timedelta(hours=2),
            world.person_id,
            world.organisation_id,
            BookingDetails("Cup for 150", 150, "children_youth"),
        ),
        rules=rules,
        now=now,
    )
    confirmed = await create_booking(
        session,
        NewBooking(
            world.room,
            start,
            start + timedelta(hours=2),
            world.person_id,
            None,
            BookingDetails("Styremøte", 12, "adults"),
        ),
        rules=rules,
        now=now,
    )
    assert (requested.status, confirmed.status) == ("requested", "confirmed")
    return StaffWorld(world, requested.id, confirmed.id, start, building.id)


def csrf(client) -> str:
    return client.cookies.get("csrftoken")


async def login_as(client, role: str | None) -> None:
    client.cookies.clear()
    await client.get("/logg-inn")
    if role is None:
        return
    answer = await client.post(
        "/logg-inn",
        data={"email": EMAILS[role], "password": PASSWORD, "neste": "/", "_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


async def post_form(client, path: str, data: dict | None = None, **kw):
    kw.setdefault("follow_redirects", False)
    return await client.post(path, data={**(data or {}), "_csrf_token": csrf(client)}, **kw)


@pytest.fixture
async def staff(db):
    staff_world = await build_staff_world(db.session)
    app = app_for(db, "development")
    async with AsyncTestClient(app=app) as client:
        client.staff = staff_world
        client.db = db
        yield client


async def status_of(db, booking_id: int) -> str:
    async with db.sessions() as s:
        return (await s.get(Booking, booking_id)).status


# ------------------------------------------------------------------ approval queue


async def test_queue_shows_requests_for_my_department_only(staff):
    await login_as(staff, "department_staff")
    page = await staff.get("/saksbehandling")
    assert page.status_code == 200
    assert "Hallen" in page.text and "Cup for 150" in page.text and "912 34 567" in page.text
    assert "Mer enn 100 deltakere krever godkjenning." in page.text  # why it needs approval
    await login_as(staff, "other_staff")
    page = await staff.get("/saksbehandling")
    assert "Cup for 150" not in page.text and "Ingen forespørsler" in page.text
    await login_as(staff, "admin")
    assert "Cup for 150" in (await staff.get("/saksbehandling")).text


async def test_approve_confirms_and_the_reason_is_in_the_history(staff):
    await login_as(staff, "department_staff")
    booking_id = staff.staff.requested_id
    answer = await post_form(
        staff,
        f"/saksbehandling/bestillinger/{booking_id}/godkjenn",
        {"begrunnelse": "Velkommen! Nøkkel hos vaktmester."},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/saksbehandling?utfort=godkjent"
    assert await status_of(staff.db, booking_id) == "confirmed"
    async with staff.db.sessions() as s:
        last = (
            await s.execute(
                select(BookingHistory)
                .where(BookingHistory.booking_id == booking_id)
                .order_by(BookingHistory.id.desc())
                .limit(1)
            )
        ).scalar_one()
        actor = (await s.execute(select(Person).where(Person.email == EMAILS["department_staff"]))).scalar_one()
    assert (last.from_status, last.to_status, last.reason, last.actor_id) == (
        "requested",
        "confirmed",
        "Velkommen! Nøkkel hos vaktmester.",
        actor.id,
    )
    page = await staff.get("/saksbehandling?utfort=godkjent")
    assert "er godkjent" in page.text and "Cup for 150" not in page.text
    again = await post_form(staff, f"/saksbehandling/bestillinger/{booking_id}/godkjenn")
    assert again.status_code == 409


async def test_reject_needs_a_reason_that_reaches_the_history(staff):
    await login_as(staff, "department_staff")
    booking_id = staff.staff.requested_id
    refused = await post_form(staff, f"/saksbehandling/bestillinger/{booking_id}/avvis", {"begrunnelse": "  "})
    assert refused.status_code == 422 and "Skriv en begrunnelse" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert await status_of(staff.db, booking_id) == "requested"
    answer = await post_form(
        staff,
        f"/saksbehandling/bestillinger/{booking_id}/avvis",
        {"begrunnelse": "Hallen er satt av til kretsmesterskap."},
    )
    assert answer.status_code == 303
    assert await status_of(staff.db, booking_id) == "rejected"
    async with staff.db.sessions() as s:
        reasons = list(
            (
                await s.execute(
                    select(BookingHistory.reason).where(
                        BookingHistory.booking_id == booking_id, BookingHistory.to_status == "rejected"
                    )
                )
            ).scalars()
        )
    assert reasons == ["Hallen er satt av til kretsmesterskap."]
    await render_pending(staff.db.session)  # the sender writes the mail from the stored event
    async with staff.db.sessions() as s:  # the outbox builds the mail from the state change
        mails = (await s.execute(select(OutboxMail).where(OutboxMail.to_address == EMAILS["delegate"]))).scalars()
        assert any("kretsmesterskap" in mail.body_text for mail in mails)


async def test_staff_of_another_department_cannot_decide(staff):
    await login_as(staff, "other_staff")
    answer = await post_form(staff, f"/saksbehandling/bestillinger/{staff.staff.requested_id}/godkjenn")
    assert answer.status_code == 403
    assert await status_of(staff.db, staff.staff.requested_id) == "requested"


async def test_queue_is_closed_to_people_and_caretakers(staff):
    for role in ("person", "delegate", "caretaker"):
        await login_as(staff, role)
        assert (await staff.get("/saksbehandling")).status_code == 403
        answer = await post_form(staff, f"/saksbehandling/bestillinger/{staff.staff.requested_id}/godkjenn")
        assert answer.status_code == 403
    await login_as(staff, None)
    answer = await staff.get("/saksbehandling", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/logg-inn")


# ------------------------------------------------------------------ premises editor


def full_form(**changes) -> dict:
    form = {
        "name": "Møtesalen i 2. etasje",
        "capacity": "24",
        "area_m2": "45",
        "description_nb": "Lyst rom med utsikt.",
        "description_en": "Bright room with a view.",
        "apent_mon": "08:00-12:00, 17:00-22:00",
        "apent_tue": "08:00-22:00",
        "apent_wed": "",
        "apent_thu": "stengt",
        "apent_fri": "08:00-16:00",
        "apent_sat": "10:00-24:00",
        "apent_sun": "",
        "season_first": "08-15",
        "season_last": "06-15",
        "slot_minutes": "30",
        "min_minutes": "60",
        "max_minutes": "240",
        "buffer_before": "15",
        "buffer_after": "0",
        "requires_approval": "1",
        "step_free_access": "1",
        "hearing_loop": "1",
        "equipment": ["projector", "wifi"],
    }
    form.update(changes)
    return form


async def test_premises_list_and_form_for_my_department(staff):
    await login_as(staff, "department_staff")
    listing = await staff.get("/saksbehandling/lokaler")
    assert listing.status_code == 200 and "Møtesalen" in listing.text and "Hallen A" in listing.text
    form = await staff.get("/saksbehandling/lokaler/motesalen")
    assert form.status_code == 200
    assert 'name="apent_mon"' in form.text and 'value="00:00-24:00"' in form.text
    assert 'id="step_free_access" name="step_free_access" value="1" checked' in form.text
    assert 'name="tariff_category"' not in form.text  # only administrators change the category
    await login_as(staff, "other_staff")
    assert "Møtesalen" not in (await staff.get("/saksbehandling/lokaler")).text
    assert (await staff.get("/saksbehandling/lokaler/motesalen")).status_code == 403
    assert (await post_form(staff, "/saksbehandling/lokaler/motesalen", full_form())).status_code == 403


async def test_premises_editor_saves_every_field(staff):
    await login_as(staff, "department_staff")
    answer = await post_form(staff, "/saksbehandling/lokaler/motesalen", full_form(tariff_category="kultursal"))
    assert answer.status_code == 303 and answer.headers["location"] == "/saksbehandling/lokaler/motesalen?lagret=true"
    async with staff.db.sessions() as s:
        p = (await s.execute(select(Premises).where(Premises.slug == "motesalen"))).scalar_one()
    assert p.name == "Møtesalen i 2. etasje" and (p.capacity, p.area_m2) == (24, 45)
    assert p.opening_hours == {
        "mon": ["08:00-12:00", "17:00-22:00"],
        "tue": ["08:00-22:00"],
        "fri": ["08:00-16:00"],
        "sat": ["10:00-24:00"],
    }
    assert (p.season_first, p.season_last) == ("08-15", "06-15")
    assert (p.slot_minutes, p.min_minutes, p.max_minutes, p.buffer_before, p.buffer_after) == (30, 60, 240, 15, 0)
    assert p.requires_approval and not p.closed_on_public_holidays
    assert p.accessibility == ["step_free_access", "hearing_loop"]
    assert p.equipment == ["projector", "wifi"] and p.description_en == "Bright room with a view."
    assert p.tariff_category == "moterom"  # not for department staff to change
    page = await staff.get(answer.headers["location"])
    assert "Endringene er lagret" in page.text


async def test_premises_editor_names_each_bad_field_and_writes_nothing(staff):
    await login_as(staff, "department_staff")
    bad = full_form(
        name="",
        capacity="mange",
        apent_mon="8-25",
        apent_tue="22:00-08:00",
        season_first="13-01",
        slot_minutes="45",
        min_minutes="90",
        max_minutes="60",
        buffer_after="-5",
        equipment=["projector", "jacuzzi"],
    )
    answer = await post_form(staff, "/saksbehandling/lokaler/motesalen", bad)
    assert answer.status_code == 422
    for message in (
        "Lokalet må ha et navn",
        "Kapasitet må være et helt tall",
        "Åpningstiden «8-25» må skrives",
        "Åpningstiden «22:00-08:00» slutter før den starter",
        "må skrives som MM-DD",
        "Velg blokklengde",
        "Lengste leie kan ikke være kortere",
        "Buffer etter må være et helt tall",
        "Ukjent utstyr",
    ):
        assert message in answer.text, message
    assert 'value="mange"' in answer.text  # what was typed is shown again
    assert 'href="#apent_mon"' in answer.text and 'id="apent_mon-error"' in answer.text
    async with staff.db.sessions() as s:
        p = (await s.execute(select(Premises).where(Premises.slug == "motesalen"))).scalar_one()
    assert p.name == "Møtesalen" and p.capacity == 20 and p.opening_hours["mon"] == ["00:00-24:00"]


async def test_season_needs_both_ends(staff):
    await login_as(staff, "department_staff")
    answer = await post_form(staff, "/saksbehandling/lokaler/motesalen", full_form(season_last=""))
    assert answer.status_code == 422 and "både første og siste dag" in answer.text


async def test_admin_edits_any_premises_including_its_category(staff):
    await login_as(staff, "admin")
    form = await staff.get("/saksbehandling/lokaler/motesalen")
    assert 'name="tariff_category"' in form.text
    answer = await post_form(
        staff, "/saksbehandling/lokaler/motesalen", full_form(kind="room", tariff_category="klasserom")
    )
    assert answer.status_code == 303
    refused = await post_form(
        staff, "/saksbehandling/lokaler/motesalen", full_form(kind="castle", tariff_category="slott")
    )
    assert refused.status_code == 422 and "Velg type lokale" in refused.text and "Velg en takstkategori" in refused.text
    async with staff.db.sessions() as s:
        p = (await s.execute(select(Premises).where(Premises.slug == "motesalen"))).scalar_one()
    assert (p.kind, p.tariff_category) == ("room", "klasserom")


# ------------------------------------------------------------------ closures


async def test_closure_of_a_building_blocks_booking_and_can_be_deleted(staff):
    await login_as(staff, "department_staff")
    page = await staff.get("/saksbehandling/stenginger")
    assert page.status_code == 200 and f'value="building:{staff.staff.building_id}"' in page.text
    day = to_local(staff.staff.start).date()
    answer = await post_form(
        staff,
        "/saksbehandling/stenginger",
        {
            "target": f"building:{staff.staff.building_id}",
            "fra_dato": day.isoformat(),
            "fra_tid": "",
            "til_dato": day.isoformat(),
            "til_tid": "",
            "reason": "Vannlekkasje",
        },
    )
    assert answer.status_code == 303
    assert "overlapper=2" in answer.headers["location"]  # the request and the confirmed meeting
    listed = await staff.get(answer.headers["location"])
    assert "Vannlekkasje" in listed.text and "overlapper 2 bestillinger" in listed.text
    avail = (
        await staff.get(
            "/api/v1/premises/klasserom-1/availability",
            params={"from": f"{day}T00:00", "to": f"{day + timedelta(days=1)}T00:00"},
        )
    ).json()
    assert avail["free"] == [] and avail["closures"][0]["reason"] == "Vannlekkasje"
    async with staff.db.sessions() as s:
        closure = (await s.execute(select(Closure))).scalar_one()
    assert (closure.scope, closure.source) == ("building", "manual")
    assert closure.start_at == resolve_local(datetime.combine(day, time(0)))
    await login_as(staff, "other_staff")
    assert "Vannlekkasje" not in (await staff.get("/saksbehandling/stenginger")).text
    assert (await post_form(staff, f"/saksbehandling/stenginger/{closure.id}/slett")).status_code == 403
    await login_as(staff, "department_staff")
    deleted = await post_form(staff, f"/saksbehandling/stenginger/{closure.id}/slett")
    assert deleted.status_code == 303
    async with staff.db.sessions() as s:
        assert (await s.execute(select(Closure))).scalars().all() == []


async def test_closure_of_one_premises_with_times(staff):
    await login_as(staff, "department_staff")
    async with staff.db.sessions() as s:
        half = (await s.execute(select(Premises).where(Premises.slug == "hallen-a"))).scalar_one()
    day = to_local(staff.staff.start).date()
    answer = await post_form(
        staff,
        "/saksbehandling/stenginger",
        {
            "target": f"premises:{half.id}",
            "fra_dato": day.isoformat(),
            "fra_tid": "17:00",
            "til_dato": day.isoformat(),
            "til_tid": "19:00",
            "reason": "Gulvvask",
        },
    )
    assert answer.status_code == 303 and "overlapper=1" in answer.headers["location"]  # the whole hall's request
    async with staff.db.sessions() as s:
        closure = (await s.execute(select(Closure))).scalar_one()
    assert (closure.scope, closure.premises_id, closure.building_id) == ("premises", half.id, None)
    assert closure.end_at - closure.start_at == timedelta(hours=2)


async def test_bad_closure_is_explained_and_not_saved(staff):
    await login_as(staff, "department_staff")
    answer = await post_form(
        staff,
        "/saksbehandling/stenginger",
        {
            "target": "building:999999",
            "fra_dato": "2030-05-02",
            "fra_tid": "25:00",
            "til_dato": "2030-05-01",
            "til_tid": "",
            "reason": "",
        },
    )
    assert answer.status_code == 422
    for message in ("Velg et bygg eller lokale", "Skriv klokkeslettet som TT:MM", "Skriv hvorfor det er stengt"):
        assert message in answer.text, message
    spring = await post_form(
        staff,
        "/saksbehandling/stenginger",
        {
            "target": f"building:{staff.staff.building_id}",
            "fra_dato": "2030-03-31",
            "fra_tid": "02:30",
            "til_dato": "2030-04-01",
            "til_tid": "",
            "reason": "Test",
        },
    )
    assert spring.status_code == 422 and "finnes ikke" in spring.text
    reversed_ = await post_form(
        staff,
        "/saksbehandling/stenginger",
        {
            "target": f"building:{staff.staff.building_id}",
            "fra_dato": "2030-05-02",
            "til_dato": "2030-05-01",
            "reason": "Test",
        },
    )
    assert reversed_.status_code == 422 and "slutte etter at den begynner" in reversed_.text
    async with staff.db.sessions() as s:
        assert (await s.execute(select(Closure))).scalars().all() == []


# ------------------------------------------------------------------ caretaker


async def test_caretaker_sees_the_week_with_contact_details(staff):
    await login_as(staff, "caretaker")
    week = to_local(staff.staff.start).date()
    page = await staff.get("/vaktmester", params={"uke": week.isoformat()})
    assert page.status_code == 200
    assert "Bygget" in page.text and "Bragernes IL" in page.text and "Egenorganisert" in page.text
    assert "Kari Nordmann" in page.text and "912 34 567" in page.text and "venter på godkjenning" in page.text
    assert "Barn og unge" in page.text and "Styremøte" in page.text
    this_week = await staff.get("/vaktmester")
    assert this_week.status_code == 200 and "I dag" in this_week.text
    assert 'class="subnav"' not in this_week.text  # a caretaker has only this page


async def test_admin_chooses_a_building_and_others_are_refused(staff):
    await login_as(staff, "admin")
    week = to_local(staff.staff.start).date().isoformat()
    page = await staff.get("/vaktmester", params={"bygg": "bygget", "uke": week})
    assert page.status_code == 200 and "Styremøte" in page.text and 'id="bygg"' in page.text
    for role in ("person", "delegate", "department_staff"):
        await login_as(staff, role)
        assert (await staff.get("/vaktmester")).status_code == 403
