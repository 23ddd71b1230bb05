"""GET /api/v1/me on SQLite and PostgreSQL: who the token belongs to, their roles, the
organisations they book for (checked or not) and where their feed links are managed;
never a feed's secret URL. Without a token: 401 problem+json."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from litestar.testing import AsyncTestClient

from booking.db.engine import write_transaction
from booking.db.models import Membership, Organisation
from booking.services.accounts import issue_api_token
from booking.services.feed_tokens import create_token
from tests.integration.booking_web_support import app_for, world_with_passwords


@pytest.fixture
async def client(db):
    world = await world_with_passwords(db)
    now = datetime.now(timezone.utc)  # the tests' clock (tests/integration/conftest.py)
    async with db.sessions() as s, write_transaction(s):
        unchecked = Organisation(name="Aaa Nabolagslag", orgnr=None)  # registered, not yet checked by staff
        s.add(unchecked)
        await s.flush()
        s.add(Membership(organisation_id=unchecked.id, person_id=world.person_id))
        issued = await create_token(
            s, feed="person", subject_id=world.person_id, owner_id=world.person_id, actor_id=world.person_id, now=now
        )
        world.unchecked_id, world.feed_token, world.feed_id = unchecked.id, issued.token, issued.record.id
    async with AsyncTestClient(app=app_for(db)) as client:
        client.world = world
        client.kari = {
            "Authorization": "Bearer " + await issue_api_token(db.session, world.person_id, label="test", now=now)
        }
        client.ola = {
            "Authorization": "Bearer " + await issue_api_token(db.session, world.minor_id, label="test", now=now)
        }
        yield client


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-real-token"}])
async def test_without_a_valid_token_is_401_problem(client, headers):
    answer = await client.get("/api/v1/me", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "unauthorized"


async def test_the_delegate_sees_their_organisations_checked_or_not(client):
    answer = await client.get("/api/v1/me", headers=client.kari)
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert (me["id"], me["name"], me["email"], me["language"]) == (
        client.world.person_id,
        "Kari Nordmann",
        "kari@example.no",
        "nb",
    )
    assert me["birth_date"] == "1980-05-01" and me["age"] == 46 and me["old_enough"] is True
    assert me["roles"] == ["delegate", "person"]
    assert [(o["id"], o["name"], o["orgnr"], o["checked"]) for o in me["organisations"]] == [
        (client.world.unchecked_id, "Aaa Nabolagslag", None, False),
        (client.world.organisation_id, "Bragernes IL", "974760673", True),
    ]
    assert me["organisations"][1]["checked_at"].startswith("2026-01-01")
    assert me["feeds"] == [
        {
            "id": client.world.feed_id,
            "feed": "person",
            "subject_id": client.world.person_id,
            "created_at": me["feeds"][0]["created_at"],
            "manage": "/mine-kalendere",
        }
    ]
    assert client.world.feed_token not in answer.text  # the secret URL is shown once, when made
    assert me["links"]["feeds"] == "/mine-kalendere" and me["links"]["bookings"] == "/api/v1/me/bookings"


async def test_a_person_without_organisations(client):
    answer = await client.get("/api/v1/me", headers=client.ola)
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert me["name"] == "Ola Ung" and me["roles"] == ["person"]
    assert me["organisations"] == [] and me["feeds"] == []
    assert me["age"] == 14 and me["old_enough"] is False and me["min_age"] == 18
