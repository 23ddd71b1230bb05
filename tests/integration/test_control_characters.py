"""Control characters in free text (NUL and the other C0 characters but tab and line
breaks) are refused with `invalid_text` wherever text comes in, forms and the JSON API
alike, and nothing is written. Regression: a NUL in a booking's purpose was saved and
echoed back."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from booking.db.models import Booking, Organisation
from booking.services.accounts import issue_api_token
from tests.integration.booking_web_support import app_for, csrf, log_in, weekday_ahead, world_with_passwords

VALID_ORGNR = "923609016"


@pytest.fixture
async def client(db):
    world = await world_with_passwords(db)
    async with AsyncTestClient(app=app_for(db)) as client:
        client.world, client.db = world, db
        client.bearer = {
            "Authorization": "Bearer "
            + await issue_api_token(db.session, world.person_id, label="test", now=datetime.now(timezone.utc))
        }
        yield client


async def rows(client, model) -> int:
    async with client.db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


def booking_form(client, purpose: str, key: str) -> dict:
    return {
        "_csrf_token": csrf(client),
        "dato": weekday_ahead().isoformat(),
        "fra": "18:00",
        "til": "20:00",
        "for": str(client.world.organisation_id),
        "betaling": "invoice",
        "deltakere": "12",
        "malgruppe": "adults",
        "alkohol": "nei",
        "formal": purpose,
        "ansvarlig_navn": "Kari Nordmann",
        "ansvarlig_telefon": "+47 900 00 000",
        "ansvarlig_voksen": "ja",
        "vilkar": "ja",
        "branninstruks": "ja",
        "nokkel": key,
    }


def api_booking(client, purpose: str) -> dict:
    day = weekday_ahead()
    return {
        "premises": "motesalen",
        "start": f"{day}T18:00",
        "end": f"{day}T20:00",
        "purpose": purpose,
        "attendees": 12,
        "target_group": "adults",
        "accept_terms": True,
        "accept_fire_instructions": True,
        "organisation_id": client.world.organisation_id,
        "payment_method": "invoice",
    }


@pytest.mark.parametrize("bad", ["Trening\x00", "Tre\x07ning", "\x1bTrening", "Tre\x0bning"])
async def test_the_booking_form_refuses_control_characters(client, bad):
    await log_in(client, "kari@example.no")
    answer = await client.post("/bestill/motesalen", data=booking_form(client, bad, "k1"), follow_redirects=False)
    assert answer.status_code == 422
    assert "<code>invalid_text</code>" in answer.text and "Feltet «formal» inneholder kontrolltegn" in answer.text
    assert bad not in answer.text  # not echoed
    assert await rows(client, Booking) == 0


async def test_the_api_refuses_control_characters_with_a_stable_code(client):
    answer = await client.post(
        "/api/v1/bookings",
        json=api_booking(client, "Styre\u0000møte"),
        headers={**client.bearer, "Idempotency-Key": "nul"},
    )
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "invalid_text" and problem["field"] == "purpose"
    assert "kontrolltegn" in problem["detail"] and "control characters" in problem["title"]
    assert await rows(client, Booking) == 0


async def test_other_forms_get_the_same_rule(client):
    await log_in(client, "kari@example.no")
    answer = await client.post(
        "/mine-organisasjoner", data={"_csrf_token": csrf(client), "navn": "Nytt\x00kor", "orgnr": VALID_ORGNR}
    )
    assert answer.status_code == 422 and "<code>invalid_text</code>" in answer.text
    english = await client.post(
        "/mine-organisasjoner",
        data={"_csrf_token": csrf(client), "navn": "Nytt\x00kor", "orgnr": VALID_ORGNR},
        headers={"Accept-Language": "en"},
    )
    assert "The field “navn” contains control characters" in english.text
    assert await rows(client, Organisation) == 1  # the world's own


async def test_tabs_and_line_breaks_are_text(client):
    await log_in(client, "kari@example.no")
    purpose = "Styremøte\r\nSak 1:\tbudsjett"
    answer = await client.post("/bestill/motesalen", data=booking_form(client, purpose, "k2"), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    async with client.db.sessions() as s:
        saved = await s.scalar(select(Booking.purpose))
    assert saved.replace("\r\n", "\n") == "Styremøte\nSak 1:\tbudsjett"
