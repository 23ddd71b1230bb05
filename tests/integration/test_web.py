"""The public pages and the read API through the app, on SQLite and PostgreSQL. They run at
the integration tests' clock (`tests/integration/conftest.py`, TEST_NOW = 2026-09-01), so
the literal dates below stay in the future whatever the machine's date."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from common.localtime import OSLO


async def test_search_page_lists_free_premises_with_price(client):
    page = await client.get("/", params={"dato": "2026-12-01", "fra": "18:00", "til": "20:00", "gruppe": "privat"})
    assert page.status_code == 200
    assert "Møtesalen" in page.text and "Hallen A" in page.text
    assert "300\u00a0kr" in page.text  # møterom 150 kr/h × 2 h for privat


async def test_search_filters_by_universal_design(client):
    page = await client.get(
        "/", params={"dato": "2026-12-01", "fra": "18:00", "til": "20:00", "tilgjengelighet": "step_free_access"}
    )
    assert "Møtesalen" in page.text and "Hallen A" not in page.text


async def test_search_for_a_time_that_has_begun_finds_nothing_and_says_why(client):
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).astimezone(OSLO).date()
    page = await client.get("/", params={"dato": yesterday.isoformat(), "fra": "18:00", "til": "20:00"})
    assert page.status_code == 200 and "har allerede begynt" in page.text and "Møtesalen" not in page.text
    listed = await client.get(
        "/api/v1/premises", params={"free_from": f"{yesterday}T18:00", "free_to": f"{yesterday}T20:00"}
    )
    assert listed.status_code == 200 and listed.json()["items"] == []


async def test_search_refuses_a_time_that_does_not_exist(client):
    page = await client.get("/", params={"dato": "2026-03-29", "fra": "02:30", "til": "04:00"})
    assert "finnes ikke" in page.text


async def test_premises_page_has_week_table_and_prices(client):
    page = await client.get("/lokaler/motesalen", params={"uke": "2026-12-07"})
    assert page.status_code == 200
    assert '<table class="week">' in page.text and "Ledig" in page.text
    assert "Frivillig" in page.text and "openstreetmap" not in page.text  # the test building has no coordinates
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


async def test_terms_page_shows_the_rule_set_in_force(client):
    page = await client.get("/priser-og-vilkar")
    assert "1\u00a0145\u00a0kr" in page.text  # idrettshall, privat, weekday hour


async def test_api_premises_and_availability(client):
    listed = (await client.get("/api/v1/premises", params={"kind": "hall"})).json()
    assert {p["slug"] for p in listed["items"]} == {"hallen", "hallen-a", "hallen-b"}
    avail = await client.get(
        "/api/v1/premises/motesalen/availability", params={"from": "2026-03-29T00:00", "to": "2026-03-30T00:00"}
    )
    assert avail.status_code == 200
    (free,) = avail.json()["free"]
    assert (free["start"], free["end"]) == ("2026-03-28T23:00:00+00:00", "2026-03-29T22:00:00+00:00")  # 23 hours


async def test_api_free_filter(client):
    found = (
        await client.get(
            "/api/v1/premises", params={"free_from": "2026-12-01T18:00", "free_to": "2026-12-01T20:00", "kind": "room"}
        )
    ).json()
    assert sorted(p["slug"] for p in found["items"]) == ["klasserom-1", "motesalen"]
    found = (
        await client.get(
            "/api/v1/premises", params={"free_from": "2026-12-01T14:00", "free_to": "2026-12-01T15:00", "kind": "room"}
        )
    ).json()
    assert [p["slug"] for p in found["items"]] == ["motesalen"]  # the classroom opens at 16:00


async def test_quote_api_prices_the_worked_example(client):
    answer = await client.post(
        "/api/v1/quotes",
        json={
            "premises": "hallen",
            "start": "2026-12-05T10:00",
            "end": "2026-12-05T11:30",
            "customer_group": "kommersiell",
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == "4294" and body["customer_group"] == "kommersiell"
    assert body["rule_set_version"] == "2026-01-01" and body["lines"]


@pytest.mark.parametrize(
    "start,end,code",
    [
        ("2026-12-01T14:00", "2026-12-01T15:00", "outside_opening_hours"),
        ("2026-03-29T02:30", "2026-03-29T04:00", "nonexistent_local_time"),
        ("2026-12-01T18:00", "2026-12-01T17:00", "end_not_after_start"),
        ("i morgen", "2026-12-01T17:00", "invalid_datetime"),
    ],
)
async def test_quote_api_refuses_what_the_engine_refuses(client, start, end, code):
    answer = await client.post(
        "/api/v1/quotes", json={"premises": "klasserom-1", "start": start, "end": end, "customer_group": "privat"}
    )
    assert answer.status_code == 422 and answer.json()["code"] == code
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_quote_api_bad_body_is_a_clear_422(client):
    answer = await client.post("/api/v1/quotes", json={"premises": "hallen"})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_input"


async def test_premises_page_prices_a_tariff_exception_as_the_engine_charges_it(client, db):
    from datetime import datetime, timezone
    from decimal import Decimal

    from sqlalchemy import select

    from booking.db.engine import write_transaction
    from booking.db.models import Premises, TariffException

    async with write_transaction(db.session) as s:
        room = (await s.execute(select(Premises).where(Premises.slug == "motesalen"))).scalar_one()
        s.add(
            TariffException(
                premises_id=room.id,
                field="rate",
                value=Decimal("100"),
                reason="Lite rom",
                approved_by=client.world.person_id,
                created_at=datetime.now(timezone.utc),
            )
        )
    page = await client.get("/lokaler/motesalen")
    assert "avviker fra den felles prislisten" in page.text and "100\u00a0kr" in page.text
    quote = (
        await client.post(
            "/api/v1/quotes",
            json={
                "premises": "motesalen",
                "start": "2026-12-01T18:00",
                "end": "2026-12-01T19:00",
                "customer_group": "privat",
            },
        )
    ).json()
    assert quote["total"] == "100"  # the page's privat weekday price is what the engine charges


async def test_unknown_accessibility_filter_is_a_clear_422_not_a_500(client):
    for params in (
        {"accessibility": "wings"},
        {"accessibility": "wings", "free_from": "2026-12-01T18:00", "free_to": "2026-12-01T20:00"},
    ):
        answer = await client.get("/api/v1/premises", params=params)
        assert answer.status_code == 422 and answer.json()["code"] == "unknown_accessibility"
