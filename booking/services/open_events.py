"""Open events ("Hva skjer"): marking a booking as an open event, editing and unmarking
it (whoever may manage the booking), staff hiding it, and what the public page and feed
list. Listed are confirmed bookings' events that staff have not hidden; the booking's
status is read, never copied, so a cancelled, rejected or expired booking drops out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Booking, Building, District, OpenEvent, Person, Premises
from booking.domain.errors import InvalidTransition, NotFound
from booking.domain.lifecycle import SLOT_HOLDING, Status
from booking.domain.open_events import AUDIENCES, DayWindow, EventText, check_openable
from booking.domain.premises import ACCESSIBILITY
from booking.services.bookings import get_booking
from booking.services.feed_events import location
from booking.services.premises_admin import StaffScope, forbidden_premises
from booking.services.self_service import InvalidFields, booking_for
from calendars import FEED_WINDOW_AHEAD, FEED_WINDOW_BACK, FeedEvent
from common.localtime import local_day_start, to_local

PAGE_PATH = "/hva-skjer"
FEED_PATH = "/hva-skjer.ics"


def open_event_uid(booking_id: int) -> str:
    """Its own UID, not the booking's: a private feed may carry the booking itself."""
    return f"open-event-{booking_id}@lokaler"


# ---------------------------------------------------------------- the booker's side


async def event_of(session: AsyncSession, booking_id: int) -> OpenEvent | None:
    return await session.scalar(select(OpenEvent).where(OpenEvent.booking_id == booking_id))


def not_an_open_event() -> NotFound:
    return NotFound("no_open_event", "Bestillingen er ikke et åpent arrangement.", "The booking is not an open event.")


async def managed_event(session: AsyncSession, person: Person, booking_id: int) -> tuple[Booking, OpenEvent]:
    """A booking this person may manage, and its open event (refused when it has none)."""
    booking = await booking_for(session, person, booking_id)
    event = await event_of(session, booking_id)
    if event is None:
        raise not_an_open_event()
    return booking, event


async def _lock(session: AsyncSession, booking_id: int) -> None:
    """Lock the booking's row against a concurrent change of its event (PostgreSQL;
    SQLite's write transaction holds the whole database already)."""
    await session.execute(select(Booking.id).where(Booking.id == booking_id).with_for_update())


async def mark(
    session: AsyncSession, person: Person, booking_id: int, text: EventText, *, now: datetime
) -> tuple[OpenEvent, bool]:
    """Mark a booking as an open event, or change its text: (the event, created?).
    Who may not manage the booking is refused first, then a booking that has ended or was
    called off, then the text; every refusal leaves the database as it was. An edit keeps
    a staff hide in place."""
    async with write_transaction(session):
        await _lock(session, booking_id)
        booking = await booking_for(session, person, booking_id)
        check_openable(booking.status, booking.end_at, now)
        problems = text.problems()
        if problems:
            raise InvalidFields(problems)
        event = await event_of(session, booking_id)
        created = event is None
        if created:
            event = OpenEvent(booking_id=booking_id, created_by_id=person.id, created_at=now, revision=0)
            session.add(event)
        else:
            event.revision += 1
        event.title, event.description, event.audience = text.title, text.description, text.audience
        event.updated_at = now
        await session.flush()
    return event, created


async def unmark(session: AsyncSession, person: Person, booking_id: int) -> None:
    """The booking is no longer an open event. One that staff have hidden stays (hidden):
    removing it would let it come back unhidden when marked again."""
    async with write_transaction(session):
        await _lock(session, booking_id)
        _, event = await managed_event(session, person, booking_id)
        if event.hidden_at is not None:
            raise InvalidTransition(
                "open_event_hidden",
                "Kommunen har skjult arrangementet, så markeringen kan ikke fjernes. "
                "Du kan endre teksten og be kommunen vise det igjen.",
                "Staff have hidden this event, so it cannot be unmarked. "
                "You may change its text and ask staff to show it again.",
            )
        await session.delete(event)


# ---------------------------------------------------------------- staff


async def set_hidden(
    session: AsyncSession, scope: StaffScope, booking_id: int, *, hidden: bool, now: datetime
) -> OpenEvent:
    """Hide an open event from "Hva skjer" and its feed, or show it again (staff of the
    premises' department, or an administrator). The booker still sees it, marked hidden."""
    async with write_transaction(session):
        booking = await get_booking(session, booking_id)
        if not scope.manages(booking.premises.building.department_id):
            raise forbidden_premises(booking.premises.name)
        event = await event_of(session, booking_id)
        if event is None:
            raise not_an_open_event()
        if hidden and event.hidden_at is None:
            event.hidden_at, event.hidden_by_id = now, scope.person_id
        elif not hidden:
            event.hidden_at, event.hidden_by_id = None, None
    return event


async def staff_events(session: AsyncSession, scope: StaffScope, window: DayWindow, now: datetime) -> list[OpenEvent]:
    """The open events of upcoming bookings this scope manages, in the window, by start;
    held and requested ones too, so staff can hide an event before it is confirmed."""
    query = _in_window(select(OpenEvent), window, now).where(
        Booking.status.in_([s.value for s in SLOT_HOLDING]), scope.building_filter()
    )
    return list((await session.execute(query)).scalars().unique())


# ---------------------------------------------------------------- the public page and feed


@dataclass(frozen=True)
class Filters:
    """The public page's choices: a district's slug and an audience, each None for all."""

    district: str | None = None
    audience: str | None = None

    @classmethod
    def of(cls, district: str | None, audience: str | None, district_slugs: set[str]) -> Filters:
        """Known values only: anything else (a hand-edited address) means all."""
        return cls(district if district in district_slugs else None, audience if audience in AUDIENCES else None)

    def query(self) -> dict[str, str]:
        """As the page's and the feed's query parameters."""
        return {key: value for key, value in (("kommunedel", self.district), ("publikum", self.audience)) if value}


@dataclass(frozen=True)
class PublicEvent:
    """What anyone may see of an open event: no person's name, e-mail or phone."""

    booking_id: int
    title: str
    description: str
    audience: str
    start: datetime
    end: datetime
    premises_name: str
    premises_slug: str
    building_name: str
    address: str
    postcode: str
    city: str
    district: str
    accessibility: tuple[str, ...]
    organisation: str | None  # None: a private person's booking, shown without a name
    sequence: int
    last_modified: datetime

    @property
    def one_day(self) -> bool:
        """Whether it ends on the Oslo day it starts (an end at midnight included)."""
        return to_local(self.start).date() == to_local(self.end - timedelta(microseconds=1)).date()

    @classmethod
    def of(cls, event: OpenEvent) -> PublicEvent:
        b = event.booking
        p, building = b.premises, b.premises.building
        return cls(
            b.id,
            event.title,
            event.description,
            event.audience,
            b.start_at,
            b.end_at,
            p.name,
            p.slug,
            building.name,
            building.address,
            building.postcode,
            building.city,
            building.district.name,
            tuple(p.accessibility),
            b.organisation.name if b.organisation else None,
            b.sequence + event.revision,
            max(b.updated_at, event.updated_at),
        )


def _placed(query: Select) -> Select:
    """Joined to the booking, its premises and building."""
    return (
        query.join(Booking, Booking.id == OpenEvent.booking_id)
        .join(Premises, Premises.id == Booking.premises_id)
        .join(Building, Building.id == Premises.building_id)
    )


def _in_window(query: Select, window: DayWindow, now: datetime) -> Select:
    """The events not ended that start in the window (the first window also shows one
    under way), by start."""
    query = (
        _placed(query)
        .where(Booking.end_at > now, Booking.start_at < local_day_start(window.end))
        .order_by(Booking.start_at, Booking.id)
    )
    if window.earlier is not None:
        query = query.where(Booking.start_at >= local_day_start(window.first))
    return query


def _listed(query: Select, filters: Filters) -> Select:
    """Only what the public sees: confirmed bookings' events that staff have not hidden."""
    query = query.where(Booking.status == Status.CONFIRMED.value, OpenEvent.hidden_at.is_(None))
    if filters.district:
        query = query.join(District, District.id == Building.district_id).where(District.slug == filters.district)
    if filters.audience:
        query = query.where(OpenEvent.audience == filters.audience)
    return query


@dataclass(frozen=True)
class EventsPage:
    events: list[PublicEvent]
    later: bool  # whether any listed event starts after the window


async def listed_events(session: AsyncSession, filters: Filters, window: DayWindow, now: datetime) -> EventsPage:
    rows = (await session.execute(_listed(_in_window(select(OpenEvent), window, now), filters))).scalars().unique()
    after = _listed(_placed(select(OpenEvent.id)), filters).where(Booking.start_at >= local_day_start(window.end))
    later = await session.scalar(select(exists(after)))
    return EventsPage([PublicEvent.of(e) for e in rows], bool(later))


async def feed_events(session: AsyncSession, filters: Filters, now: datetime) -> list[FeedEvent]:
    """The listed events from 30 days back to about 18 months ahead, as calendar events."""
    query = (
        _listed(_placed(select(OpenEvent)), filters)
        .where(Booking.start_at >= now - FEED_WINDOW_BACK, Booking.start_at < now + FEED_WINDOW_AHEAD)
        .order_by(Booking.start_at, Booking.id)
    )
    return [feed_event(PublicEvent.of(e)) for e in (await session.execute(query)).scalars().unique()]


def feed_event(event: PublicEvent) -> FeedEvent:
    """An open event in the public feed, in Norwegian as every feed is."""
    features = ", ".join(ACCESSIBILITY[key][0] for key in event.accessibility) or "ingen registrerte tilpasninger"
    facts = [
        f"Arrangør: {event.organisation or 'privatperson'}",
        AUDIENCES[event.audience][0],
        f"Universell utforming: {features}",
        f"Kommunedel: {event.district}",
    ]
    description = "\n\n".join(part for part in (event.description, "\n".join(facts)) if part)
    return FeedEvent(
        uid=open_event_uid(event.booking_id),
        start=event.start,
        end=event.end,
        summary=event.title,
        location=location(event),
        description=description,
        status="CONFIRMED",
        sequence=event.sequence,
        last_modified=event.last_modified,
        categories=("Åpent arrangement",),
    )
