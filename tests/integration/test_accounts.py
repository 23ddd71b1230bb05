"""Accounts, login, bearer tokens and the login rate limit, through the app."""

from __future__ import annotations

from datetime import date

import pytest
from litestar.testing import AsyncTestClient

from booking.domain.errors import DomainError
from booking.services.accounts import create_person
from tests.integration.booking_web_support import app_for


@pytest.fixture
async def client(db):
    await create_person(
        db.session,
        email="Staff@Example.no",
        name="Sara Staff",
        password="hemmelig-1",
        roles=["department_staff"],
        birth_date=date(1980, 1, 1),
    )
    app = app_for(db, "development")
    async with AsyncTestClient(app=app) as client:
        yield client


def csrf(client) -> str:
    return client.cookies.get("csrftoken")


async def login(client, email, password):
    await client.get("/logg-inn")
    return await client.post(
        "/logg-inn",
        data={"email": email, "password": password, "neste": "/priser-og-vilkar", "_csrf_token": csrf(client)},
        follow_redirects=False,
    )


async def test_login_sets_a_session_and_logout_clears_it(client):
    answer = await login(client, "staff@example.no", "hemmelig-1")
    assert answer.status_code == 303 and answer.headers["location"] == "/priser-og-vilkar"
    page = await client.get("/")
    assert "Innlogget som Sara Staff" in page.text and "Saksbehandling" in page.text
    await client.post("/logg-ut", data={"_csrf_token": csrf(client)})
    assert "Innlogget som" not in (await client.get("/")).text


async def test_forms_without_csrf_token_are_refused(client):
    await client.get("/logg-inn")
    answer = await client.post("/logg-inn", data={"email": "staff@example.no", "password": "hemmelig-1"})
    assert answer.status_code == 403


async def test_wrong_password_is_refused_then_rate_limited(client):
    for _ in range(5):
        answer = await login(client, "staff@example.no", "feil-passord")
        assert answer.status_code == 401 and "Feil e-post eller passord" in answer.text
    answer = await login(client, "staff@example.no", "hemmelig-1")
    assert answer.status_code == 429 and "For mange" in answer.text


async def test_api_token_by_password_and_bearer_use(client):
    answer = await client.post("/api/v1/auth/token", json={"email": "staff@example.no", "password": "hemmelig-1"})
    assert answer.status_code == 201
    token = answer.json()["token"]
    assert len(token) >= 22
    bad = await client.post("/api/v1/auth/token", json={"email": "staff@example.no", "password": "nei"})
    assert bad.status_code == 401 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["code"] == "bad_credentials"
    wrong = await client.get("/api/v1/premises", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401


async def test_account_rules(db):
    with pytest.raises(DomainError) as refused:
        await create_person(db.session, email="x@example.no", name="X", password="kort", roles=["person"])
    assert refused.value.code == "weak_password"
    await create_person(db.session, email="x@example.no", name="X", password="langt-nok", roles=["person"])
    with pytest.raises(DomainError) as taken:
        await create_person(db.session, email="X@example.no", name="X", password="langt-nok", roles=["person"])
    assert taken.value.code == "email_taken"
