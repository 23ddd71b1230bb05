"""JSON API v1, staff's decisions on requests: approve or reject a booking waiting for
approval, or every waiting date of a weekly series at once. The same use cases as the
approval queue's pages (booking.services.approvals: `decide`, `decide_series`); this
module only parses and presents. Staff only, by the staff pages' own role guard;
authenticated like the booking API (bearer token, or the browser session with the CSRF
header); errors are application/problem+json with a stable code: unknown_booking or
unknown_series (404), forbidden or not_your_department (403), invalid_transition or
nothing_waiting (409: not waiting for approval), invalid_form (422: a rejection needs
a reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar import Controller, post
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person
from booking.services.approvals import decide, decide_series
from booking.services.bookings import get_booking
from booking.services.premises_admin import StaffScope
from booking.settings import Settings
from booking.web.bookings_api import booking_json, session_csrf
from booking.web.staff import STAFF


@dataclass
class DecisionRequest:
    reason: str = ""  # to the booker; required to reject


class ApprovalsApi(Controller):
    path = "/api/v1"
    guards = [STAFF, session_csrf]

    @post("/bookings/{booking_id:int}/approve", status_code=200)
    async def approve(
        self,
        booking_id: int,
        db: AsyncSession,
        settings: Settings,
        now: datetime,
        person: Person,
        data: DecisionRequest | None = None,
    ) -> dict:
        """Approve a request: it is confirmed, and the booker told (with `reason`, if given)."""
        return await _decided(db, settings, person, now, booking_id, approve=True, data=data)

    @post("/bookings/{booking_id:int}/reject", status_code=200)
    async def reject(
        self,
        booking_id: int,
        db: AsyncSession,
        settings: Settings,
        now: datetime,
        person: Person,
        data: DecisionRequest | None = None,
    ) -> dict:
        """Reject a request with a `reason` the booker is sent; whatever was paid is refunded."""
        return await _decided(db, settings, person, now, booking_id, approve=False, data=data)

    @post("/series/{series_id:int}/approve", status_code=200)
    async def approve_series(
        self,
        series_id: int,
        db: AsyncSession,
        settings: Settings,
        now: datetime,
        person: Person,
        data: DecisionRequest | None = None,
    ) -> dict:
        """Approve every date of a weekly series still waiting; the booker gets one mail."""
        return await _series_decided(db, settings, person, now, series_id, approve=True, data=data)

    @post("/series/{series_id:int}/reject", status_code=200)
    async def reject_series(
        self,
        series_id: int,
        db: AsyncSession,
        settings: Settings,
        now: datetime,
        person: Person,
        data: DecisionRequest | None = None,
    ) -> dict:
        """Reject every date of a weekly series still waiting, with a `reason`; one mail."""
        return await _series_decided(db, settings, person, now, series_id, approve=False, data=data)


async def _decided(
    db: AsyncSession,
    settings: Settings,
    person: Person,
    now: datetime,
    booking_id: int,
    *,
    approve: bool,
    data: DecisionRequest | None,
) -> dict:
    reason = data.reason if data else ""
    scope = StaffScope.of(person)
    await decide(db, settings, scope, booking_id, approve=approve, reason=reason, now=now)
    return booking_json(await get_booking(db, booking_id))


async def _series_decided(
    db: AsyncSession,
    settings: Settings,
    person: Person,
    now: datetime,
    series_id: int,
    *,
    approve: bool,
    data: DecisionRequest | None,
) -> dict:
    reason = data.reason if data else ""
    scope = StaffScope.of(person)
    decided = await decide_series(db, settings, scope, series_id, approve=approve, reason=reason, now=now)
    return {"series_id": series_id, "decided": [booking_json(await get_booking(db, b.id)) for b in decided]}
