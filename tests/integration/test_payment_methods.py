"""Payment methods come from the rule set (each customer group's `payment_methods`), on
SQLite and PostgreSQL: when only one method is possible it is used without asking; a
method the booker may not use is refused by name, with the ones they may."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from litestar.testing import AsyncTestClient

from booking.db.models import Booking
from booking.services.accounts import issue_api_token
from booking.web.app import create_app
from tests.integration.booking_web_support import app_for, log_in, weekday_ahead, world_with_passwords
from tests.integration.test_payments_support import stripe_settings


@pytest.fixture
async def world(db):
    world = await world_with_passwords(db)
    now = datetime.now(timezone.utc)  # the tests' clock (tests/integration/conftest.py)
    world.kari = {"Authorization": "Bearer " + await issue_api_token(db.session, world.person_id, label="t", now=now)}
    return world


def booking_body(world, day, **changes) -> dict:
    return {
        "premises": "motesalen",
        "start": f"{day}T18:00",
        "end": f"{day}T20:00",
        "purpose": "Styremøte",
        "attendees": 12,
        "target_group": "adults",
        "accept_terms": True,
        "accept_fire_instructions": True,
        "organisation_id": world.organisation_id,
        **changes,
    }


def series_body(world, **changes) -> dict:
    first = weekday_ahead(1, 2)
    return {
        "premises": "motesalen",
        "weekdays": ["tue"],
        "start_time": "18:00",
        "end_time": "20:00",
        "first_date": first.isoformat(),
        "last_date": first.isoformat(),
        "purpose": "Korøvelse",
        "attendees": 10,
        "target_group": "adults",
        "accept_terms": True,
        "accept_fire_instructions": True,
        "preview": True,
        **changes,
    }


async def test_a_delegate_books_through_the_api_without_naming_the_one_method(db, world):
    async with AsyncTestClient(app=app_for(db)) as client:  # no card provider: invoice is all there is
        made = await client.post(
            "/api/v1/bookings",
            json=booking_body(world, weekday_ahead()),
            headers={**world.kari, "Idempotency-Key": "one-way"},
        )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "confirmed"
    async with db.sessions() as s:
        assert (await s.get(Booking, made.json()["id"])).payment_method == "invoice"


async def test_a_private_person_is_offered_card_and_invoice(db, world):
    async with AsyncTestClient(app=create_app(stripe_settings(db.url, None))) as client:
        preview = await client.post("/api/v1/series", json=series_body(world, organisation_id=None), headers=world.kari)
        assert preview.status_code == 200, preview.text
        assert preview.json()["payment_methods"] == ["card", "invoice"]
        await log_in(client, "kari@example.no")
        day = weekday_ahead()
        page = await client.get(
            f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00&deltakere=12&malgruppe=adults&for=selv"
        )
        assert page.status_code == 200
        assert 'name="betaling" value="card"' in page.text and 'name="betaling" value="invoice"' in page.text
        unpaid = await client.post(
            "/api/v1/bookings",
            json=booking_body(world, day, organisation_id=None),
            headers={**world.kari, "Idempotency-Key": "two-ways"},
        )
        assert unpaid.status_code == 422 and unpaid.json()["errors"][0]["code"] == "payment_method_required"
        assert "card or invoice" in unpaid.json()["errors"][0]["message"]
        invoiced = await client.post(
            "/api/v1/bookings",
            json=booking_body(world, day, organisation_id=None, payment_method="invoice"),
            headers={**world.kari, "Idempotency-Key": "two-ways"},
        )
        assert invoiced.status_code == 201, invoiced.text
        assert invoiced.json()["status"] == "confirmed" and invoiced.json()["price"]["customer_group"] == "privat"


async def test_without_a_card_provider_a_private_person_is_invoiced_without_asking(db, world):
    async with AsyncTestClient(app=app_for(db)) as client:
        made = await client.post(
            "/api/v1/bookings",
            json=booking_body(world, weekday_ahead(), organisation_id=None),
            headers={**world.kari, "Idempotency-Key": "private"},
        )
    assert made.status_code == 201, made.text
    async with db.sessions() as s:
        assert (await s.get(Booking, made.json()["id"])).payment_method == "invoice"


@pytest.mark.parametrize("method", ["card", "cash"])
async def test_a_refused_method_names_itself_and_what_is_possible(db, world, method):
    async with AsyncTestClient(app=app_for(db)) as client:  # no card provider configured
        refused = await client.post(
            "/api/v1/bookings",
            json=booking_body(world, weekday_ahead(), payment_method=method),
            headers={**world.kari, "Idempotency-Key": f"refused-{method}"},
        )
        series = await client.post(
            "/api/v1/series",
            json=series_body(world, organisation_id=world.organisation_id, preview=False, payment_method=method),
            headers=world.kari,
        )
    for answer in (refused, series):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        assert (problem["code"], problem["method"], problem["allowed"]) == (
            "payment_method_not_allowed",
            method,
            ["invoice"],
        )
        assert repr(method) in problem["title"] and "You can pay by invoice." in problem["title"]
        assert "Du kan betale med faktura." in problem["detail"]
    assert "«kort»" in refused.json()["detail"] if method == "card" else "«cash»" in refused.json()["detail"]
    async with db.sessions() as s:
        assert (await s.get(Booking, 1)) is None
