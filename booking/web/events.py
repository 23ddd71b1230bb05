"""Open events in the browser: "Hva skjer" (the public page and its iCal feed), marking
one's own booking as an open event from its page under "Mine bestillinger", and staff
hiding an event (and showing it again)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import District, Person
from booking.domain.open_events import AUDIENCES, EventText, by_local_day, day_window, visibility
from booking.services.feeds import feed_urls
from booking.services.open_events import (
    FEED_PATH,
    PAGE_PATH,
    Filters,
    feed_events,
    listed_events,
    mark,
    set_hidden,
    staff_events,
    unmark,
)
from booking.services.premises_admin import StaffScope
from booking.services.self_service import InvalidFields
from booking.settings import get_settings
from booking.web.auth import requires
from booking.web.feeds import MEDIA_TYPE, feed_headers, not_modified
from booking.web.i18n import N_, message_of
from booking.web.my_pages import EVENT_VISIBILITY, booking_page
from booking.web.present import LABELS
from booking.web.staff import STAFF, form_of, page
from calendars import build_feed, feed_etag
from common.localtime import to_local

# API field names → the ids of the booking page's form fields that hold them.
FIELD_IDS = {"title": "tittel", "description": "beskrivelse", "audience": "publikum"}
STAFF_PATH = "/saksbehandling/arrangementer"
STAFF_DONE = {
    "skjult": N_("Arrangementet er skjult fra «Hva skjer». Den som bestilte, ser at det er skjult."),
    "vist": N_("Arrangementet vises igjen på «Hva skjer» (når bestillingen er bekreftet)."),
}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def _filters(db: AsyncSession, district: str | None, audience: str | None) -> tuple[Filters, list]:
    districts = list((await db.execute(select(District).order_by(District.name))).scalars())
    return Filters.of(district, audience, {d.slug for d in districts}), districts


def _feed_name(filters: Filters, districts: list[District]) -> str:
    """The feed's name says what it holds (calendars are in Norwegian)."""
    name = "Hva skjer"
    if filters.district:
        name += f" i {next(d.name for d in districts if d.slug == filters.district)}"
    if filters.audience:
        name += f" – {AUDIENCES[filters.audience][0].lower()}"
    return name


class EventPages(Controller):
    """The public side: no login."""

    @get(PAGE_PATH, name="events")
    async def events_page(
        self,
        db: AsyncSession,
        now: datetime,
        kommunedel: str | None = None,
        publikum: str | None = None,
        fra: str | None = None,
    ) -> Template:
        window = day_window(_day(fra), to_local(now).date())
        filters, districts = await _filters(db, kommunedel, publikum)
        found = await listed_events(db, filters, window, now)
        query = filters.query()
        feed = feed_urls(get_settings().base_url, FEED_PATH + (f"?{urlencode(query)}" if query else ""))
        return Template(
            "public/events.html",
            context={
                "days": by_local_day(found.events, lambda e: e.start),
                "window": window,
                "last_day": window.end - timedelta(days=1),
                "filters": filters,
                "districts": districts,
                "audiences": AUDIENCES,
                "labels": LABELS,
                "earlier": urlencode({**query, "fra": window.earlier.isoformat()}) if window.earlier else None,
                "later": urlencode({**query, "fra": window.end.isoformat()}) if found.later else None,
                "feed": feed,
            },
        )

    @get(FEED_PATH, name="events_feed", opt={"exclude_from_csrf": True})
    async def events_feed(
        self,
        request: Request,
        db: AsyncSession,
        now: datetime,
        kommunedel: str | None = None,
        publikum: str | None = None,
    ) -> Response:
        """Every listed event from 30 days back to about 18 months ahead, with the page's filters."""
        filters, districts = await _filters(db, kommunedel, publikum)
        events = await feed_events(db, filters, now)
        name = _feed_name(filters, districts)
        description = "Åpne arrangementer i kommunens lokaler. Fra Lokaler."
        etag = feed_etag(events, name, description=description)
        # No Last-Modified: an event that leaves the feed (hidden, cancelled) leaves no newer
        # stamp behind, so only the ETag can tell a client that something changed.
        headers = feed_headers(etag, None, public=True)
        if not_modified(request, etag, None):
            return Response(content=b"", status_code=304, headers=headers)
        return Response(build_feed(name, events, description=description), media_type=MEDIA_TYPE, headers=headers)


class MyEventPages(Controller):
    """The open-event form on a booking's own page (/mine-bestillinger/{id})."""

    path = "/mine-bestillinger/{booking_id:int}/arrangement"
    guards = [requires()]

    @post("/", status_code=303)
    async def save(
        self,
        request: Request,
        booking_id: int,
        db: AsyncSession,
        now: datetime,
        person: Person,
    ) -> Template | Redirect:
        form = await form_of(request)
        values = {
            "tittel": form.text("tittel"),
            "beskrivelse": form.text("beskrivelse"),
            "publikum": form.text("publikum"),
        }
        text = EventText.cleaned(values["tittel"], values["beskrivelse"], values["publikum"])
        try:
            await mark(db, person, booking_id, text, now=now)
        except InvalidFields as invalid:
            errors = {FIELD_IDS[p.field]: message_of(request, p) for p in invalid.problems}
            return await booking_page(
                db, person, booking_id, now, status_code=422, event_values=values, event_errors=errors
            )
        return Redirect(f"/mine-bestillinger/{booking_id}?arrangement=lagret#arrangement", status_code=303)

    @post("/fjern", status_code=303)
    async def remove(self, booking_id: int, db: AsyncSession, person: Person) -> Redirect:
        await unmark(db, person, booking_id)
        return Redirect(f"/mine-bestillinger/{booking_id}?arrangement=fjernet#arrangement", status_code=303)


class StaffEventPages(Controller):
    """Staff hide an open event from "Hva skjer" (and show it again)."""

    path = STAFF_PATH
    guards = [STAFF]

    @get("/", name="staff_events")
    async def list_events(
        self,
        db: AsyncSession,
        now: datetime,
        person: Person,
        fra: str | None = None,
        utfort: str | None = None,
    ) -> Template:
        window = day_window(_day(fra), to_local(now).date())
        events = await staff_events(db, StaffScope.of(person), window, now)
        shown = {
            e.booking_id: EVENT_VISIBILITY[visibility(e.booking.status, e.hidden_at is not None, e.booking.end_at, now)]
            for e in events
        }
        return page(
            "events.html",
            person,
            "events",
            days=by_local_day(events, lambda e: e.booking.start_at),
            window=window,
            last_day=window.end - timedelta(days=1),
            shown=shown,
            audiences=AUDIENCES,
            later=window.end,
            done=STAFF_DONE.get(utfort or ""),
        )

    @post("/{booking_id:int}/skjul", status_code=303)
    async def hide(self, booking_id: int, db: AsyncSession, person: Person, now: datetime) -> Redirect:
        await set_hidden(db, StaffScope.of(person), booking_id, hidden=True, now=now)
        return Redirect(f"{STAFF_PATH}?utfort=skjult#arrangement-{booking_id}", status_code=303)

    @post("/{booking_id:int}/vis", status_code=303)
    async def show(self, booking_id: int, db: AsyncSession, person: Person, now: datetime) -> Redirect:
        await set_hidden(db, StaffScope.of(person), booking_id, hidden=False, now=now)
        return Redirect(f"{STAFF_PATH}?utfort=vist#arrangement-{booking_id}", status_code=303)
