"""The booking side of the JSON API through the app on SQLite and PostgreSQL: create once
per Idempotency-Key, read, cancel, my bookings, weekly series with a preview; bearer
and session authentication (with the CSRF header); problem+json errors, never a 500."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from booking.db.models import Booking
from booking.services.accounts import issue_api_token
from booking.settings import from_environment
from booking.web.app import create_app
from tests.integration.booking_web_support import (
    app_for,
    assert_problem,
    at,
    csrf,
    log_in,
    weekday_ahead,
    world_with_passwords,
)


@pytest.fixture
async def client(db):
    world = await world_with_passwords(db)
    now = datetime.now(timezone.utc)  # the tests' clock (tests/integration/conftest.py)
    async with AsyncTestClient(app=app_for(db)) as client:
        client.world, client.db = world, db
        client.kari = {
            "Authorization": "Bearer " + await issue_api_token(db.session, world.person_id, label="test", now=now)
        }
        client.ola = {
            "Authorization": "Bearer " + await issue_api_token(db.session, world.minor_id, label="test", now=now)
        }
        yield client


def body(client, day, **changes) -> dict:
    """The club books for adults: the voluntary-organisation price, paid by invoice."""
    return {
        "premises": "motesalen",
        "start": f"{day}T18:00",
        "end": f"{day}T20:00",
        "purpose": "Styremøte",
        "attendees": 12,
        "target_group": "adults",
        "accept_terms": True,
        "accept_fire_instructions": True,
        "organisation_id": client.world.organisation_id,
        "payment_method": "invoice",
        **changes,
    }


async def count(db) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Booking))


async def test_create_is_idempotent_per_key(client):
    day = weekday_ahead()
    headers = {**client.kari, "Idempotency-Key": "abc-1"}
    first = await client.post("/api/v1/bookings", json=body(client, day), headers=headers)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["status"] == "confirmed" and created["premises"]["slug"] == "motesalen"
    assert created["start"] == at(day, "18:00").astimezone(timezone.utc).isoformat()  # no offset = Oslo time
    assert created["price"]["total"] == "150" and created["price"]["lines"]
    assert created["organisation"]["id"] == client.world.organisation_id
    assert created["links"]["ics"] == f"/kalender/booking/{created['id']}.ics"
    assert created["cancellation"]["fee"] == "0"
    again = await client.post("/api/v1/bookings", json=body(client, day), headers=headers)
    assert again.status_code == 200 and again.json() == created
    assert await count(client.db) == 1
    reused = await client.post(
        "/api/v1/bookings", json=body(client, day, start=f"{day}T10:00", end=f"{day}T11:00"), headers=headers
    )
    assert_problem(reused, 409, "idempotency_key_reused")


async def test_an_explicit_offset_is_an_instant(client):
    day = weekday_ahead()
    answer = await client.post(
        "/api/v1/bookings",
        json=body(client, day, start=f"{day}T17:00:00+00:00", end=f"{day}T19:00:00Z"),
        headers={**client.kari, "Idempotency-Key": "utc"},
    )
    assert answer.status_code == 201
    # The offset is kept as given, whatever Oslo's offset is that day (summer or winter).
    assert answer.json()["start"] == f"{day}T17:00:00+00:00"


async def test_a_collision_is_409_with_the_interval(client):
    day = weekday_ahead()
    await client.post("/api/v1/bookings", json=body(client, day), headers={**client.kari, "Idempotency-Key": "a"})
    clash = await client.post(
        "/api/v1/bookings",
        json=body(client, day, start=f"{day}T19:00", end=f"{day}T21:00"),
        headers={**client.kari, "Idempotency-Key": "b"},
    )
    problem = assert_problem(clash, 409, "conflict")
    (collision,) = problem["collisions"]
    assert collision["start"] == at(day, "17:45").astimezone(timezone.utc).isoformat()
    assert collision["end"] == at(day, "20:15").astimezone(timezone.utc).isoformat()


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"start": "i morgen"}, "start"),
        ({"end": "2026-13-01T10:00"}, "end"),
        ({"target_group": "pensjonister"}, "target_group"),
        ({"attendees": 0}, "attendees"),
        ({"attendees": 10**9}, "attendees"),
        ({"purpose": "x" * 301}, "purpose"),
        ({"purpose": ""}, "purpose"),
        ({"accept_terms": False}, "accept_terms"),
        ({"accept_fire_instructions": False}, "accept_fire_instructions"),
        ({"responsible_adult": False}, "responsible_adult"),
        ({"responsible_name": "x" * 500}, "responsible_name"),
    ],
)
async def test_bad_input_is_422_per_field(client, changes, field):
    answer = await client.post(
        "/api/v1/bookings",
        json=body(client, weekday_ahead(), **changes),
        headers={**client.kari, "Idempotency-Key": "bad"},
    )
    problem = assert_problem(answer, 422, "invalid_input")
    assert field in [e["field"] for e in problem["errors"]]
    assert await count(client.db) == 0


async def test_end_before_start_and_missing_key(client):
    day = weekday_ahead()
    answer = await client.post("/api/v1/bookings", json=body(client, day, end=f"{day}T17:00"), headers=client.kari)
    fields = [e["field"] for e in assert_problem(answer, 422, "invalid_input")["errors"]]
    assert fields[:2] == ["Idempotency-Key", "end"]


@pytest.mark.parametrize("payload", [b"{not json", b'{"premises": 5}', b"[]", b'{"premises": "motesalen"}'])
async def test_malformed_bodies_are_4xx_not_500(client, payload):
    answer = await client.post(
        "/api/v1/bookings",
        content=payload,
        headers={**client.kari, "Idempotency-Key": "m", "Content-Type": "application/json"},
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_refusals_keep_their_codes(client):
    day = weekday_ahead()

    async def attempt(who, key, **changes):
        return await client.post(
            "/api/v1/bookings", json=body(client, day, **changes), headers={**who, "Idempotency-Key": key}
        )

    assert_problem(await attempt(client.kari, "n", premises="finnes-ikke"), 404, "unknown_premises")
    assert_problem(await attempt(client.ola, "o", organisation_id=None), 422, "under_18")
    assert_problem(await attempt(client.ola, "p"), 403, "not_a_delegate")
    assert_problem(await attempt(client.kari, "q", start=f"{day}T03:07", end=f"{day}T04:00"), 422, "off_granularity")


async def test_a_priced_booking_is_paid_the_one_way_there_is(client):
    day = weekday_ahead()
    # No card provider in these tests: the club, and a private person too (the sample rules
    # let both be invoiced), pay by invoice without naming it.
    club = await client.post(
        "/api/v1/bookings",
        json=body(client, day, payment_method=None),
        headers={**client.kari, "Idempotency-Key": "pay"},
    )
    assert club.status_code == 201, club.text
    private = await client.post(
        "/api/v1/bookings",
        json=body(client, day, organisation_id=None, payment_method=None, start=f"{day}T10:00", end=f"{day}T11:00"),
        headers={**client.kari, "Idempotency-Key": "pay-private"},
    )
    assert private.status_code == 201, private.text
    assert {club.json()["status"], private.json()["status"]} == {"confirmed"}
    refused = await client.post(
        "/api/v1/bookings",
        json=body(client, day, payment_method="card", start=f"{day}T12:00", end=f"{day}T13:00"),
        headers={**client.kari, "Idempotency-Key": "pay-card"},
    )
    assert assert_problem(refused, 422, "payment_method_not_allowed")["allowed"] == ["invoice"]
    free = await client.post(
        "/api/v1/bookings",
        json=body(
            client, day, target_group="children_youth", payment_method=None, start=f"{day}T14:00", end=f"{day}T15:00"
        ),
        headers={**client.kari, "Idempotency-Key": "pay-free"},
    )
    assert free.status_code == 201 and free.json()["price"]["total"] == "0"


async def test_card_holds_the_slot_and_links_to_payment(client):
    card_app = create_app(
        from_environment(
            {  # a card provider configured; nothing reaches Stripe here
                "BOOKING_DATABASE_URL": client.db.url,
                "BOOKING_STRIPE_SECRET_KEY": "sk_test_api",
                "BOOKING_STRIPE_WEBHOOK_SECRET": "whsec_api",
            }
        )
    )
    async with AsyncTestClient(app=card_app) as card_client:
        answer = await card_client.post(
            "/api/v1/bookings",
            json=body(client, weekday_ahead(), organisation_id=None, payment_method="card"),
            headers={**client.kari, "Idempotency-Key": "card"},
        )
    assert answer.status_code == 201, answer.text
    held = answer.json()
    assert held["status"] == "held" and held["hold_expires_at"] and held["links"]["payment"]


async def test_authentication_is_required(client):
    anonymous = await client.post(
        "/api/v1/bookings", json=body(client, weekday_ahead()), headers={"Idempotency-Key": "x"}
    )
    assert_problem(anonymous, 401, "unauthorized")
    assert_problem(await client.get("/api/v1/me/bookings"), 401, "unauthorized")
    wrong = await client.get("/api/v1/me/bookings", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


async def test_read_mine_and_others(client):
    made = (
        await client.post(
            "/api/v1/bookings", json=body(client, weekday_ahead()), headers={**client.kari, "Idempotency-Key": "r"}
        )
    ).json()
    mine = await client.get(f"/api/v1/bookings/{made['id']}", headers=client.kari)
    assert mine.status_code == 200 and mine.json()["id"] == made["id"]
    assert_problem(await client.get(f"/api/v1/bookings/{made['id']}", headers=client.ola), 403, "not_your_booking")
    assert_problem(await client.get("/api/v1/bookings/987654", headers=client.kari), 404, "unknown_booking")
    listed = (await client.get("/api/v1/me/bookings", headers=client.kari)).json()
    assert [b["id"] for b in listed["upcoming"]] == [made["id"]] and listed["past"] == []
    assert (await client.get("/api/v1/me/bookings", headers=client.ola)).json() == {"upcoming": [], "past": []}


async def test_cancel_with_fee_then_refused_the_second_time(client):
    made = (
        await client.post(
            "/api/v1/bookings", json=body(client, weekday_ahead()), headers={**client.kari, "Idempotency-Key": "c"}
        )
    ).json()
    assert_problem(
        await client.post(f"/api/v1/bookings/{made['id']}/cancel", headers=client.ola), 403, "not_your_booking"
    )
    answer = await client.post(f"/api/v1/bookings/{made['id']}/cancel", json={"reason": "Avlyst"}, headers=client.kari)
    assert answer.status_code == 200, answer.text
    cancelled = answer.json()
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_fee"]["fee"] == "0"
    assert cancelled["cancellation_reason"] == "Avlyst"  # the canceller's words; the fee is in cancellation_fee
    assert_problem(
        await client.post(f"/api/v1/bookings/{made['id']}/cancel", headers=client.kari), 409, "invalid_transition"
    )
    assert_problem(await client.post("/api/v1/bookings/987654/cancel", headers=client.kari), 404, "unknown_booking")


async def test_session_calls_need_the_csrf_header(client):
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    refused = await client.post("/api/v1/bookings", json=body(client, day), headers={"Idempotency-Key": "s"})
    assert_problem(refused, 403, "csrf_token_mismatch")
    wrong = await client.post(
        "/api/v1/bookings", json=body(client, day), headers={"Idempotency-Key": "s", "x-csrftoken": "forged"}
    )
    assert_problem(wrong, 403, "csrf_token_mismatch")
    accepted = await client.post(
        "/api/v1/bookings", json=body(client, day), headers={"Idempotency-Key": "s", "x-csrftoken": csrf(client)}
    )
    assert accepted.status_code == 201
    assert (await client.get("/api/v1/me/bookings")).status_code == 200  # safe calls need no header


async def test_series_preview_then_create(client):
    first, last = weekday_ahead(1, 2), weekday_ahead(1, 5)
    series = {
        "premises": "motesalen",
        "weekdays": ["tue"],
        "start_time": "18:00",
        "end_time": "19:30",
        "first_date": first.isoformat(),
        "last_date": last.isoformat(),
        "organisation_id": client.world.organisation_id,
        "purpose": "Korøvelse",
        "attendees": 20,
        "target_group": "children_youth",
        "accept_terms": True,
        "accept_fire_instructions": True,
    }
    await client.post(
        "/api/v1/bookings", json=body(client, weekday_ahead(1, 3)), headers={**client.kari, "Idempotency-Key": "t"}
    )
    preview = await client.post("/api/v1/series", json={**series, "preview": True}, headers=client.kari)
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["preview"] is True and shown["series_id"] is None
    assert [o["ok"] for o in shown["occurrences"]] == [True, False, True, True]
    assert shown["occurrences"][1]["code"] == "conflict"
    assert await count(client.db) == 1
    keyed = {**client.kari, "Idempotency-Key": "serie-1"}
    made = await client.post("/api/v1/series", json=series, headers=keyed)
    assert made.status_code == 201 and made.json()["created"] == 3 and made.json()["series_id"]
    assert await count(client.db) == 4
    again = await client.post("/api/v1/series", json=series, headers=keyed)  # a retry: the same series
    assert again.json()["series_id"] == made.json()["series_id"] and again.json()["created"] == 3
    for changed in ({"weekdays": ["thu"]}, {"purpose": "Årsmøte"}, {"premises": "klasserom-1"}):
        assert_problem(
            await client.post("/api/v1/series", json={**series, **changed}, headers=keyed),
            409,
            "idempotency_key_reused",
        )
    assert_problem(
        await client.post("/api/v1/series", json=series, headers={**client.kari, "Idempotency-Key": "k" * 151}),
        422,
        "invalid_input",
    )
    assert await count(client.db) == 4
    none_free = await client.post("/api/v1/series", json=series, headers=client.kari)  # no key, nothing free
    assert_problem(none_free, 422, "no_bookable_dates")
    assert await count(client.db) == 4


@pytest.mark.parametrize(
    "changes,status,code",
    [
        ({"weekdays": ["funday"]}, 422, "invalid_input"),
        ({"start_time": "25:00"}, 422, "invalid_input"),
        ({"end_time": "17:00"}, 422, "invalid_input"),
        ({"last_date": "2020-01-01"}, 422, "invalid_input"),
        ({"organisation_id": 424242}, 403, "not_a_delegate"),
        ({"premises": "finnes-ikke"}, 404, "unknown_premises"),
    ],
)
async def test_series_errors(client, changes, status, code):
    first = weekday_ahead(1, 2)
    series = {
        "premises": "motesalen",
        "weekdays": ["tue"],
        "start_time": "18:00",
        "end_time": "19:30",
        "first_date": first.isoformat(),
        "last_date": weekday_ahead(1, 4).isoformat(),
        "organisation_id": client.world.organisation_id,
        "purpose": "Korøvelse",
        "attendees": 20,
        "accept_terms": True,
        "accept_fire_instructions": True,
        "preview": True,
        **changes,
    }
    assert_problem(await client.post("/api/v1/series", json=series, headers=client.kari), status, code)
