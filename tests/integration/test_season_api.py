"""The seasonal allocation JSON API through the app on SQLite and PostgreSQL: staff set a
round up, open and close it, compute the proposal and publish it (once: the same answer
again, nothing new); a delegate reads the round and applies; problem+json with stable
codes for a caller who is not staff, an unknown season, publishing too early and bad input."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from booking.db.models import Booking, Person, Season, SeasonApplication
from booking.services.accounts import issue_api_token
from tests.integration.booking_web_support import app_for, assert_problem
from tests.integration.season_support import ADULTS, CHILDREN
from tests.integration.test_staff import EMAILS, build_staff_world, csrf, login_as

ROUND = {
    "name": "Vinter 2027",
    "starts": "2027-01-04",
    "ends": "2027-01-31",
    "application_deadline": "2026-10-01T23:00",
    "premises": ["hallen", "hallen-a", "hallen-b"],
    "seasonal_hours": {"mon": ["16:00-22:30"], "tue": ["16:00-22:30"]},
    "excluded": [{"from": "2027-01-18", "to": "2027-01-19"}],
}


@pytest.fixture
async def api(db):
    staff_world = await build_staff_world(db.session)
    now = datetime.now(timezone.utc)
    async with db.sessions() as s:
        ids = {email: id_ for email, id_ in (await s.execute(select(Person.email, Person.id))).all()}

    async def bearer(role: str) -> dict:
        token = await issue_api_token(db.session, ids[EMAILS[role]], label="test", now=now)
        return {"Authorization": "Bearer " + token}

    async with AsyncTestClient(app=app_for(db, "development")) as client:
        client.db, client.world = db, staff_world.world
        client.staff, client.admin = await bearer("department_staff"), await bearer("admin")
        client.delegate, client.person = await bearer("delegate"), await bearer("person")
        yield client


async def count(db, model) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def open_round(api) -> int:
    created = await api.post("/api/v1/seasons", json=ROUND, headers=api.staff)
    assert created.status_code == 201, created.text
    season_id = created.json()["id"]
    assert created.json() == {"id": season_id, "state": "draft"}
    opened = await api.post(f"/api/v1/seasons/{season_id}/open", headers=api.staff)
    assert opened.status_code == 200 and opened.json() == {"id": season_id, "state": "open"}
    return season_id


async def test_a_round_from_setup_to_publishing(api):
    season_id = await open_round(api)
    read = await api.get(f"/api/v1/seasons/{season_id}", headers=api.delegate)  # a delegate reads it to apply
    assert read.status_code == 200
    assert read.json() == {
        "id": season_id,
        "name": "Vinter 2027",
        "starts": "2027-01-04",
        "ends": "2027-01-31",
        "application_deadline": "2026-10-01T21:00:00+00:00",  # 23:00 in Oslo, summer time
        "state": "open",
        "premises": ["hallen", "hallen-a", "hallen-b"],
        "seasonal_hours": {"mon": ["16:00-22:30"], "tue": ["16:00-22:30"]},
        "premises_hours": {},
        "excluded": [{"from": "2027-01-18", "to": "2027-01-19"}],
    }

    path = f"/api/v1/seasons/{season_id}/applications"
    first = await api.post(
        path, json={"organisation_id": api.world.organisation_id, "needs": [ADULTS]}, headers=api.delegate
    )
    assert first.status_code == 201, first.text
    changed = await api.post(
        path, json={"organisation_id": api.world.organisation_id, "needs": [CHILDREN, ADULTS]}, headers=api.delegate
    )
    assert changed.status_code == 200 and changed.json() == first.json()
    application_id = first.json()["id"]
    mine = await api.get(f"{path}/{application_id}", headers=api.delegate)
    assert mine.status_code == 200
    assert [need["activity"] for need in mine.json()["needs"]] == ["Minihåndball", "Bedriftsfotball"]
    assert mine.json()["organisation"] == {"id": api.world.organisation_id, "name": "Bragernes IL"}
    assert (await api.get(f"{path}/{application_id}", headers=api.staff)).status_code == 200
    assert_problem(await api.get(f"{path}/{application_id}", headers=api.person), 403, "not_a_delegate")
    assert_problem(
        await api.get(f"/api/v1/seasons/{season_id}/applications/999999", headers=api.delegate),
        404,
        "unknown_application",
    )

    proposal = await api.post(f"/api/v1/seasons/{season_id}/proposal", headers=api.staff)
    assert proposal.status_code == 200, proposal.text
    body = proposal.json()
    given = sorted((a["need"], a["premises"], a["weekday"], a["start"], a["end"]) for a in body["allocations"])
    assert given == [(0, "hallen-a", "mon", "17:00", "18:30"), (1, "hallen-b", "tue", "18:00", "20:00")]
    children = next(a for a in body["allocations"] if a["need"] == 0)
    assert children["tier"] == "children_youth" and children["reasons"] == ["granted_first_wish"]
    assert children["pinned"] is False and children["application_id"] == application_id
    assert body["unmet"] == [{"application_id": application_id, "need": 1, "wish": 0, "reasons": ["lower_tier"]}]
    assert body["summary"]["allocations"] == 2 and body["summary"]["hours_by_tier"]["children_youth"] == 1.5
    kept = await api.get(f"/api/v1/seasons/{season_id}/proposal", headers=api.staff)
    assert kept.status_code == 200 and kept.json()["allocations"] == body["allocations"]

    assert_problem(await api.post(f"/api/v1/seasons/{season_id}/publish", headers=api.staff), 409, "round_not_closed")
    assert await count(api.db, Booking) == 2  # the staff world's own bookings only
    closed = await api.post(f"/api/v1/seasons/{season_id}/close", headers=api.admin)
    assert closed.status_code == 200 and closed.json() == {"id": season_id, "state": "closed"}
    published = await api.post(f"/api/v1/seasons/{season_id}/publish", headers=api.staff)
    assert published.status_code == 200, published.text
    # Four Mondays and four Tuesdays in January 2027, less the excluded 18th and 19th.
    assert published.json() == {"series": 2, "bookings": 6, "collisions": []}
    again = await api.post(f"/api/v1/seasons/{season_id}/publish", headers=api.staff)
    assert again.status_code == 200 and again.json() == published.json()
    assert await count(api.db, Booking) == 2 + 6
    assert (await api.get(f"/api/v1/seasons/{season_id}", headers=api.delegate)).json()["state"] == "published"
    assert_problem(await api.post(f"/api/v1/seasons/{season_id}/proposal", headers=api.staff), 409, "already_published")


async def test_only_staff_set_up_open_close_propose_and_publish(api):
    season_id = await open_round(api)
    for who in (api.person, api.delegate):
        assert_problem(await api.post("/api/v1/seasons", json=ROUND, headers=who), 403, "forbidden")
        for action in ("open", "close", "proposal", "publish"):
            assert_problem(await api.post(f"/api/v1/seasons/{season_id}/{action}", headers=who), 403, "forbidden")
        assert_problem(await api.get(f"/api/v1/seasons/{season_id}/proposal", headers=who), 403, "forbidden")
    assert_problem(await api.get(f"/api/v1/seasons/{season_id}"), 401, "unauthorized")
    assert await count(api.db, Season) == 1
    async with api.db.sessions() as s:
        assert (await s.get(Season, season_id)).state == "open"


async def test_a_browser_session_needs_the_csrf_header(api):
    await login_as(api, "department_staff")
    assert_problem(await api.post("/api/v1/seasons", json=ROUND), 403, "csrf_token_mismatch")
    answer = await api.post("/api/v1/seasons", json=ROUND, headers={"x-csrftoken": csrf(api)})
    assert answer.status_code == 201


async def test_an_unknown_season_is_404(api):
    assert_problem(await api.get("/api/v1/seasons/999999", headers=api.delegate), 404, "unknown_season")
    for action in ("open", "close", "proposal", "publish"):
        assert_problem(await api.post(f"/api/v1/seasons/999999/{action}", headers=api.staff), 404, "unknown_season")
    assert_problem(
        await api.post(
            "/api/v1/seasons/999999/applications",
            headers=api.delegate,
            json={"organisation_id": api.world.organisation_id, "needs": [CHILDREN]},
        ),
        404,
        "unknown_season",
    )
    assert_problem(
        await api.post("/api/v1/seasons", json={**ROUND, "premises": ["finnes-ikke"]}, headers=api.staff),
        404,
        "unknown_premises",
    )
    assert await count(api.db, Season) == 0


@pytest.mark.parametrize(
    "change, code",
    [
        ({"name": 5}, "invalid_input"),
        ({"premises": "hallen"}, "invalid_input"),
        ({"seasonal_hours": ["16:00-22:30"]}, "invalid_input"),
        ({"starts": "2027-13-01"}, "invalid_date"),
        ({"application_deadline": "snart"}, "invalid_datetime"),
        ({"application_deadline": "2027-03-28T02:30"}, "nonexistent_local_time"),
        ({"application_deadline": "2027-01-05T12:00"}, "deadline_after_start"),
        ({"ends": "2027-01-01"}, "invalid_season_dates"),
        ({"name": "  "}, "name_required"),
        ({"premises": []}, "no_premises"),
        ({"seasonal_hours": {"mon": ["16-22"]}}, "invalid_opening_hours"),
        ({"seasonal_hours": {"mon": []}}, "no_seasonal_hours"),
        ({"excluded": [{"from": "2027-01-10"}]}, "invalid_excluded_period"),
        ({"excluded": [{"from": "2027-02-10", "to": "2027-02-11"}]}, "invalid_excluded_period"),
    ],
)
async def test_a_setup_that_cannot_be_read_is_422_and_nothing_is_written(api, change, code):
    assert_problem(await api.post("/api/v1/seasons", json={**ROUND, **change}, headers=api.staff), 422, code)
    assert await count(api.db, Season) == 0


@pytest.mark.parametrize(
    "body, code",
    [
        ({"organisation_id": None, "needs": [CHILDREN]}, "invalid_input"),
        ({"organisation_id": "Bragernes IL", "needs": [CHILDREN]}, "invalid_input"),
        ({"needs": {"activity": "Minihåndball"}}, "invalid_input"),
        ({"needs": []}, "no_needs"),
        ({"needs": ["Minihåndball"]}, "invalid_need"),
        ({"needs": [{**CHILDREN, "activity": ""}]}, "activity_required"),
        ({"needs": [{**CHILDREN, "participants": "mange"}]}, "invalid_participants"),
        ({"needs": [{**CHILDREN, "wishes": [{"premises": "hallen-a", "weekday": "mandag"}]}]}, "invalid_wish"),
        (
            {
                "needs": [
                    {**CHILDREN, "wishes": [{"premises": "hallen-a", "weekday": "mon", "start": "17", "end": "18:30"}]}
                ]
            },
            "invalid_time",
        ),
        ({"needs": [{**CHILDREN, "age_group": "babies"}]}, "invalid_age_group"),
    ],
)
async def test_an_application_that_cannot_be_read_is_422_and_nothing_is_written(api, body, code):
    season_id = await open_round(api)
    body = {"organisation_id": api.world.organisation_id, **body}
    answer = await api.post(f"/api/v1/seasons/{season_id}/applications", json=body, headers=api.delegate)
    assert_problem(answer, 422, code)
    assert await count(api.db, SeasonApplication) == 0


async def test_applying_for_another_organisation_or_to_a_draft_is_refused(api):
    created = await api.post("/api/v1/seasons", json=ROUND, headers=api.staff)
    season_id = created.json()["id"]
    body = {"organisation_id": api.world.organisation_id, "needs": [CHILDREN]}
    path = f"/api/v1/seasons/{season_id}/applications"
    assert_problem(await api.post(path, json=body, headers=api.delegate), 403, "round_not_open")
    await api.post(f"/api/v1/seasons/{season_id}/open", headers=api.staff)
    assert_problem(await api.post(path, json=body, headers=api.person), 403, "not_a_delegate")
    assert await count(api.db, SeasonApplication) == 0


async def test_a_premises_may_have_other_seasonal_hours_and_wishes_are_checked_against_its_own(api):
    later = {"mon": ["18:00-22:00"]}
    created = await api.post(
        "/api/v1/seasons", json={**ROUND, "premises_hours": {"hallen-a": later}}, headers=api.staff
    )
    season_id = created.json()["id"]
    await api.post(f"/api/v1/seasons/{season_id}/open", headers=api.staff)
    read = (await api.get(f"/api/v1/seasons/{season_id}", headers=api.delegate)).json()
    assert read["seasonal_hours"] == ROUND["seasonal_hours"] and read["premises_hours"] == {"hallen-a": later}
    # 17:00 in hall A is outside its own hours, though inside the round's.
    early = await api.post(
        f"/api/v1/seasons/{season_id}/applications",
        headers=api.delegate,
        json={"organisation_id": api.world.organisation_id, "needs": [CHILDREN]},
    )
    assert_problem(early, 422, "outside_seasonal_hours")
    refused = await api.post(
        "/api/v1/seasons", headers=api.staff, json={**ROUND, "premises_hours": {"motesalen": later}}
    )
    assert_problem(refused, 422, "premises_not_in_round")
