"""Staff's decisions on requests through the JSON API, on SQLite and PostgreSQL: approve
and reject a booking (or a weekly series' waiting dates) with a bearer token, through the
same use case as the approval queue's pages (booking.services.approvals); problem+json
with the stable codes for an unknown booking (404), one not waiting for approval (409),
a caller who is not staff or not of the owning department (403) and a rejection without
a reason (422, nothing written); of two decisions at once exactly one is made."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from booking.db.models import Booking, BookingHistory, OutboxMail, Person
from booking.services.accounts import issue_api_token
from tests.integration.booking_web_support import app_for, assert_problem
from tests.integration.test_staff import EMAILS, build_staff_world, login_as
from tests.integration.test_staff_series import WEEKS, series  # noqa: F401 (fixture)


@pytest.fixture
async def staff(db):
    """The staff world (a request for the hall, a confirmed meeting), and a bearer token per role."""
    staff_world = await build_staff_world(db.session)
    now = datetime.now(timezone.utc)  # the tests' clock (tests/integration/conftest.py)
    async with db.sessions() as s:
        ids = {p.email: p.id for p in (await s.execute(select(Person))).scalars()}
    app = app_for(db, "development")
    async with AsyncTestClient(app=app) as client:
        client.staff, client.db = staff_world, db
        client.ids = {role: ids[email] for role, email in EMAILS.items()}
        client.tokens = {
            role: {"Authorization": "Bearer " + await issue_api_token(db.session, ids[email], label="test", now=now)}
            for role, email in EMAILS.items()
        }
        yield client


async def history(db, booking_id: int) -> list[tuple]:
    async with db.sessions() as s:
        rows = (
            await s.execute(
                select(BookingHistory).where(BookingHistory.booking_id == booking_id).order_by(BookingHistory.id)
            )
        ).scalars()
        return [(h.from_status, h.to_status, h.reason, h.actor_id) for h in rows]


async def status_of(db, booking_id: int) -> str:
    async with db.sessions() as s:
        return (await s.get(Booking, booking_id)).status


async def test_approve_confirms_with_the_reason_in_the_history(staff):
    booking_id = staff.staff.requested_id
    answer = await staff.post(
        f"/api/v1/bookings/{booking_id}/approve",
        json={"reason": "Velkommen! Nøkkel hos vaktmester."},
        headers=staff.tokens["department_staff"],
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["id"], body["status"], body["purpose"]) == (booking_id, "confirmed", "Cup for 150")
    assert (await history(staff.db, booking_id))[-1] == (
        "requested",
        "confirmed",
        "Velkommen! Nøkkel hos vaktmester.",
        staff.ids["department_staff"],
    )
    # decided already: not waiting for approval any more, and nothing more is written
    again = await staff.post(f"/api/v1/bookings/{booking_id}/approve", headers=staff.tokens["admin"])
    problem = assert_problem(again, 409, "invalid_transition")
    assert problem["current"] == "confirmed"
    rejected = await staff.post(
        f"/api/v1/bookings/{booking_id}/reject", json={"reason": "For sent."}, headers=staff.tokens["admin"]
    )
    assert_problem(rejected, 409, "invalid_transition")
    assert len(await history(staff.db, booking_id)) == 2 and await status_of(staff.db, booking_id) == "confirmed"


async def test_reject_needs_a_reason_and_then_tells_the_booker(staff):
    booking_id = staff.staff.requested_id
    for body in (None, {}, {"reason": "   "}):
        refused = await staff.post(
            f"/api/v1/bookings/{booking_id}/reject", json=body, headers=staff.tokens["department_staff"]
        )
        problem = assert_problem(refused, 422, "invalid_form")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("reason", "reason_required")]
    too_long = await staff.post(
        f"/api/v1/bookings/{booking_id}/reject", json={"reason": "x" * 2001}, headers=staff.tokens["admin"]
    )
    assert [e["code"] for e in assert_problem(too_long, 422, "invalid_form")["errors"]] == ["too_long"]
    assert await status_of(staff.db, booking_id) == "requested" and len(await history(staff.db, booking_id)) == 1
    answer = await staff.post(
        f"/api/v1/bookings/{booking_id}/reject",
        json={"reason": "Hallen er satt av til kretsmesterskap."},
        headers=staff.tokens["department_staff"],
    )
    assert answer.status_code == 200 and answer.json()["status"] == "rejected"
    assert (await history(staff.db, booking_id))[-1][1:3] == ("rejected", "Hallen er satt av til kretsmesterskap.")
    async with staff.db.sessions() as s:  # the state change stores the booker's mail
        keys = list((await s.execute(select(OutboxMail.dedupe_key))).scalars())
    assert f"booking-{booking_id}-1-rejected" in keys


async def test_unknown_and_not_waiting_bookings_are_refused(staff):
    headers = staff.tokens["department_staff"]
    for action in ("approve", "reject"):
        unknown = await staff.post(f"/api/v1/bookings/999999/{action}", json={"reason": "Nei."}, headers=headers)
        assert_problem(unknown, 404, "unknown_booking")
        # a confirmed booking was never waiting for approval
        confirmed = await staff.post(
            f"/api/v1/bookings/{staff.staff.confirmed_id}/{action}", json={"reason": "Nei."}, headers=headers
        )
        problem = assert_problem(confirmed, 409, "invalid_transition")
        assert problem["current"] == "confirmed"
        unknown_series = await staff.post(f"/api/v1/series/999999/{action}", json={"reason": "Nei."}, headers=headers)
        assert_problem(unknown_series, 404, "unknown_series")
    assert await status_of(staff.db, staff.staff.confirmed_id) == "confirmed"
    assert len(await history(staff.db, staff.staff.confirmed_id)) == 1


async def test_only_staff_of_the_owning_department_decide(staff):
    booking_id = staff.staff.requested_id
    for role in ("person", "delegate", "caretaker"):
        for action in ("approve", "reject"):
            answer = await staff.post(
                f"/api/v1/bookings/{booking_id}/{action}", json={"reason": "Ja."}, headers=staff.tokens[role]
            )
            assert_problem(answer, 403, "forbidden")
    other = await staff.post(f"/api/v1/bookings/{booking_id}/approve", headers=staff.tokens["other_staff"])
    assert_problem(other, 403, "not_your_department")
    assert_problem(await staff.post(f"/api/v1/bookings/{booking_id}/approve"), 401, "unauthorized")
    # the browser session of staff works too, with the CSRF header
    await login_as(staff, "department_staff")
    path = f"/api/v1/bookings/{booking_id}/approve"
    assert_problem(await staff.post(path), 403, "csrf_token_mismatch")
    assert await status_of(staff.db, booking_id) == "requested" and len(await history(staff.db, booking_id)) == 1
    answer = await staff.post(path, headers={"x-csrftoken": staff.cookies.get("csrftoken")})
    assert answer.status_code == 200 and answer.json()["status"] == "confirmed"


@pytest.mark.parametrize("actions", [("approve", "reject"), ("approve", "approve"), ("reject", "reject")])
async def test_two_decisions_at_once_make_exactly_one(staff, actions):
    booking_id = staff.staff.requested_id
    answers = await asyncio.gather(
        *(
            staff.post(
                f"/api/v1/bookings/{booking_id}/{action}",
                json={"reason": f"Avgjort av {who}."},
                headers=staff.tokens[who],
            )
            for action, who in zip(actions, ("department_staff", "admin"), strict=True)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()
    assert_problem(next(a for a in answers if a.status_code == 409), 409, "invalid_transition")
    decisions = (await history(staff.db, booking_id))[1:]
    assert len(decisions) == 1 and decisions[0][1] == winner["status"] == await status_of(staff.db, booking_id)


async def test_a_series_is_decided_at_once(series):  # the series on this module's `staff`
    tokens = series.tokens
    path = f"/api/v1/series/{series.series_id}"
    assert_problem(await series.post(f"{path}/approve", headers=tokens["other_staff"]), 403, "not_your_department")
    refused = await series.post(f"{path}/reject", json={"reason": ""}, headers=tokens["department_staff"])
    assert_problem(refused, 422, "invalid_form")
    answer = await series.post(f"{path}/approve", json={"reason": "Velkommen!"}, headers=tokens["department_staff"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["series_id"] == series.series_id
    assert [b["id"] for b in body["decided"]] == series.dates and len(series.dates) == WEEKS
    assert {b["status"] for b in body["decided"]} == {"confirmed"}
    again = await series.post(f"{path}/reject", json={"reason": "Nei."}, headers=tokens["department_staff"])
    assert_problem(again, 409, "nothing_waiting")


async def test_the_openapi_schema_lists_the_decisions(staff):
    schema = (await staff.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert set(schema["components"]["schemas"]["DecisionRequest"]["properties"]) == {"reason"}
    for path in (
        "/api/v1/bookings/{booking_id}/approve",
        "/api/v1/bookings/{booking_id}/reject",
        "/api/v1/series/{series_id}/approve",
        "/api/v1/series/{series_id}/reject",
    ):
        assert "post" in paths[path], path
        assert "DecisionRequest" in str(paths[path]["post"]["requestBody"])
