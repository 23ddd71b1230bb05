"""JSON API v1: a booking as an open event on "Hva skjer". Whoever may manage the booking
reads, sets (PUT: creates or changes) and removes (DELETE) its public title, description
and audience. Authenticated like the rest of the booking API (session with x-csrftoken,
or a bearer token); errors are application/problem+json with a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar import Controller, Response, delete, get, put
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, OpenEvent, Person
from booking.domain.open_events import EventText, visibility
from booking.services.open_events import PAGE_PATH, managed_event, mark, unmark
from booking.services.self_service import booking_for
from booking.web.auth import requires
from booking.web.bookings_api import session_csrf


@dataclass
class OpenEventRequest:
    title: str = ""  # required: an empty or missing title is refused with the other fields
    description: str = ""
    audience: str = "all"  # "all" | "children_youth"


def open_event_json(event: OpenEvent, booking: Booking, now: datetime) -> dict:
    return {
        "booking_id": booking.id,
        "title": event.title,
        "description": event.description,
        "audience": event.audience,
        "hidden_by_staff": event.hidden_at is not None,
        # listed | awaiting_confirmation | hidden | not_listed
        "visibility": visibility(booking.status, event.hidden_at is not None, booking.end_at, now),
        "created_at": event.created_at.isoformat(),
        "updated_at": event.updated_at.isoformat(),
        "links": {
            "self": f"/api/v1/bookings/{booking.id}/open-event",
            "booking": f"/api/v1/bookings/{booking.id}",
            "public_page": PAGE_PATH,
        },
    }


class OpenEventsApi(Controller):
    path = "/api/v1/bookings/{booking_id:int}/open-event"
    guards = [requires(), session_csrf]

    @get("/")
    async def read(self, booking_id: int, db: AsyncSession, now: datetime, person: Person) -> dict:
        booking, event = await managed_event(db, person, booking_id)
        return open_event_json(event, booking, now)

    @put("/")
    async def save(
        self,
        booking_id: int,
        data: OpenEventRequest,
        db: AsyncSession,
        now: datetime,
        person: Person,
    ) -> Response:
        """Mark the booking as an open event (201), or change its text (200)."""
        event, created = await mark(
            db, person, booking_id, EventText.cleaned(data.title, data.description, data.audience), now=now
        )
        booking = await booking_for(db, person, booking_id)
        return Response(open_event_json(event, booking, now), status_code=201 if created else 200)

    @delete("/", status_code=204)
    async def remove(self, booking_id: int, db: AsyncSession, person: Person) -> None:
        await unmark(db, person, booking_id)
