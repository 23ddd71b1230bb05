"""Edges of the input a person or client can send, through the app on SQLite and
PostgreSQL: dates at the ends of the calendar answer a clear 422, never a 500, and an
Idempotency-Key used again for a different booking is refused (409), with nothing written."""

from __future__ import annotations

import pytest

from tests.integration.booking_web_support import weekday_ahead

# The API tests' client (a bearer token for Kari) and their booking count.
from tests.integration.test_bookings_api import client  # noqa: F401
from tests.integration.test_bookings_api import count as bookings


def booking_body(client, start: str, end: str, **changes) -> dict:
    return {
        "premises": "motesalen",
        "start": start,
        "end": end,
        "purpose": "Styremøte",
        "attendees": 12,
        "target_group": "adults",
        "accept_terms": True,
        "accept_fire_instructions": True,
        "organisation_id": client.world.organisation_id,
        "payment_method": "invoice",
        **changes,
    }


@pytest.mark.parametrize(
    "path, params",
    [
        ("/", {"dato": "9999-12-31", "fra": "18:00", "til": "20:00"}),
        ("/", {"dato": "0001-01-01", "fra": "00:00", "til": "01:00"}),
        ("/lokaler/motesalen", {"uke": "9999-12-27"}),
        ("/lokaler/motesalen", {"uke": "0001-01-01"}),
    ],
)
async def test_a_page_asked_for_the_ends_of_the_calendar_says_so(client, path, params):
    page = await client.get(path, params=params)
    assert page.status_code == 422
    assert "utenfor det tjenesten kan regne med" in page.text and "Traceback" not in page.text


async def test_a_number_larger_than_the_database_holds_is_out_of_range_not_a_500(client):
    huge = "9" * 20
    answer = await client.get(f"/api/v1/bookings/{huge}", headers=client.kari)
    assert answer.status_code == 422 and answer.json()["code"] == "out_of_range"
    page = await client.get("/", params={"dato": weekday_ahead().isoformat(), "kapasitet": huge})
    assert page.status_code == 422 and "utenfor det tjenesten kan regne med" in page.text


async def test_the_api_answers_the_ends_of_the_calendar_with_a_problem(client):
    listed = await client.get(
        "/api/v1/premises", params={"free_from": "9999-12-31T22:00", "free_to": "9999-12-31T23:00"}
    )
    assert listed.status_code == 422 and listed.json()["code"] == "out_of_range"
    made = await client.post(
        "/api/v1/bookings",
        json=booking_body(client, "9999-12-31T22:00", "9999-12-31T23:00"),
        headers={**client.kari, "Idempotency-Key": "far-1"},
    )
    assert made.status_code == 422, made.text
    assert made.headers["content-type"].startswith("application/problem+json")
    assert made.json()["code"] in ("out_of_range", "too_far_ahead")
    assert await bookings(client.db) == 0


async def test_an_idempotency_key_used_again_for_another_booking_is_refused(client):
    day = weekday_ahead()
    headers = {**client.kari, "Idempotency-Key": "reuse-1"}
    first = await client.post(
        "/api/v1/bookings", json=booking_body(client, f"{day}T18:00", f"{day}T20:00"), headers=headers
    )
    assert first.status_code == 201, first.text
    again = await client.post(
        "/api/v1/bookings", json=booking_body(client, f"{day}T18:00", f"{day}T20:00"), headers=headers
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    for changed in ({"attendees": 9}, {"start": f"{day}T17:00"}, {"purpose": "Årsmøte"}):
        other = await client.post(
            "/api/v1/bookings",
            json={**booking_body(client, f"{day}T18:00", f"{day}T20:00"), **changed},
            headers=headers,
        )
        assert other.status_code == 409, (changed, other.text)
        problem = other.json()
        assert problem["code"] == "idempotency_key_reused" and problem["booking"] == first.json()["id"]
    assert await bookings(client.db) == 1
