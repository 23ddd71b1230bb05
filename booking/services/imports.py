"""External calendars as closures: attach a calendar (an uploaded .ics or an http(s) URL)
to a building or premises, and import it.

An import fetches and parses the whole calendar first (calendar_fetch.fetch_calendar,
calendars.parse_calendar over the feed window) and only then writes, in one transaction:
closures upserted by (source_ref, source_uid), closures of the source whose event is gone
deleted, the source's last_imported_at set. Any failure before or during that transaction
leaves the closures as they were; only last_error records what went wrong. An unchanged
calendar changes no row (not even updated_at), so feeds keep their ETags.

A new calendar (`attach_and_import`) is created in the same transaction as its first
successful import, or not at all: a refused first import leaves no source behind.
Texts kept from a calendar lose their control characters (booking.domain.text.clean).

Bookings that collide with the imported events are reported, never cancelled: staff
decide what happens to them.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import end_reads, write_transaction
from booking.db.models import Booking, Building, CalendarSource, Closure, Person, Premises
from booking.domain.errors import DomainError, Forbidden, NotFound
from booking.domain.lifecycle import SLOT_HOLDING, Status
from booking.domain.text import clean
from booking.services.calendar_fetch import fetch_calendar
from booking.services.catalogue import families, premises_by_slug
from booking.services.feed_tokens import is_staff
from calendars import (
    FEED_WINDOW_AHEAD,
    FEED_WINDOW_BACK,
    CalendarImportError,
    ImportedEvent,
    normalise_import_url,
    parse_calendar,
)

SOURCE = "ical_import"
FETCH_TIMEOUT = 10.0  # seconds for the whole fetch, redirects included
MAX_BYTES = 2_000_000
_REASON_LENGTH = 300  # Closure.reason
_UID_LENGTH = 400  # Closure.source_uid


class ImportRefused(DomainError):
    """A calendar that cannot be imported; `code` is calendars' stable code."""

    status = 422

    @classmethod
    def of(cls, error: CalendarImportError) -> ImportRefused:
        return cls(error.code, error.message_nb, error.message_en)


@dataclass(frozen=True)
class ImportCollision:
    """A slot-holding booking that overlaps an imported event: for staff to resolve."""

    booking_id: int
    premises: str
    start: datetime
    end: datetime
    status: str
    event_uid: str
    event_summary: str

    def to_json(self) -> dict:
        return {
            "booking_id": self.booking_id,
            "premises": self.premises,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "status": self.status,
            "event_uid": self.event_uid,
            "event_summary": self.event_summary,
        }


@dataclass(frozen=True)
class ImportReport:
    source_id: int
    added: int
    updated: int
    removed: int
    unchanged: int
    ignored: int  # events that take no time block nothing and are not stored
    collisions: list[ImportCollision] = field(default_factory=list)


def source_ref(source_id: int) -> str:
    return f"calendar_source:{source_id}"


def _stored_uid(uid: str) -> str:
    if len(uid) <= _UID_LENGTH and clean(uid) == uid:
        return uid
    # Too long, or with control characters: a digest is still unique, and stable.
    return f"sha256:{hashlib.sha256(uid.encode('utf-8')).hexdigest()}"


def _summary(event: ImportedEvent) -> str:
    """The event's summary as we keep and show it: one line, no control characters."""
    return " ".join(clean(event.summary).split())


def _reason(event: ImportedEvent, source: CalendarSource) -> str:
    text = _summary(event) or f"Opptatt i {source.name}"
    return text[:_REASON_LENGTH]


async def _staff_only(session: AsyncSession, actor_id: int | None) -> None:
    if actor_id is not None and not is_staff(await session.get(Person, actor_id)):
        raise Forbidden("staff_only", "Bare ansatte kan importere kalendere.", "Only staff may import calendars.")


async def _target(
    session: AsyncSession,
    *,
    building_slug: str | None,
    premises_slug: str | None,
    name: str | None,
    url: str | None,
    actor_id: int | None,
) -> dict:
    """What a calendar is attached to and where it comes from, checked; nothing written."""
    await _staff_only(session, actor_id)
    if (building_slug is None) == (premises_slug is None):
        raise DomainError(
            "import_target", "Velg enten et bygg eller et lokale.", "Give exactly one of building and premises."
        )
    if url is not None:
        url = normalise_import_url(url)
        if not url.lower().startswith(("http://", "https://")):
            raise ImportRefused.of(CalendarImportError.of("url_not_allowed", f"scheme of {url!r}"))
    name = (name or "").strip() or url
    if not name:
        raise DomainError("import_name", "Gi kalenderen et navn.", "Give the calendar a name.")
    if building_slug is not None:
        building = await session.scalar(select(Building).where(Building.slug == building_slug))
        if building is None:
            raise NotFound(
                "unknown_building", f"Fant ikke bygget «{building_slug}».", f"No building {building_slug!r}."
            )
        return dict(building_id=building.id, premises_id=None, name=name, url=url)
    premises = await premises_by_slug(session, premises_slug)
    return dict(building_id=None, premises_id=premises.id, name=name, url=url)


async def _existing(session: AsyncSession, target: dict) -> CalendarSource | None:
    url, name = target["url"], target["name"]
    same_origin = (
        CalendarSource.url == url if url is not None else (CalendarSource.url.is_(None) & (CalendarSource.name == name))
    )
    query = select(CalendarSource).where(
        CalendarSource.building_id.is_(None)
        if target["building_id"] is None
        else CalendarSource.building_id == target["building_id"],
        CalendarSource.premises_id.is_(None)
        if target["premises_id"] is None
        else CalendarSource.premises_id == target["premises_id"],
        same_origin,
    )
    return (await session.execute(query.order_by(CalendarSource.id))).scalars().first()


async def find_or_attach(
    session: AsyncSession,
    *,
    building_slug: str | None = None,
    premises_slug: str | None = None,
    name: str | None = None,
    url: str | None = None,
    actor_id: int | None = None,
    now: datetime,
) -> CalendarSource:
    """The calendar source for this building or premises and URL (or, for uploads, name),
    created when there is none yet. `actor_id=None` is the operator's command line."""
    target = await _target(
        session, building_slug=building_slug, premises_slug=premises_slug, name=name, url=url, actor_id=actor_id
    )
    existing = await _existing(session, target)
    if existing is not None:
        return existing
    source = CalendarSource(
        name=target["name"][:200],
        url=target["url"],
        building_id=target["building_id"],
        premises_id=target["premises_id"],
        created_by=actor_id,
        created_at=now,
        last_imported_at=None,
        last_error=None,
    )
    session.add(source)
    await session.flush()
    return source


async def attach_and_import(
    session: AsyncSession,
    *,
    building_slug: str | None = None,
    premises_slug: str | None = None,
    name: str | None = None,
    url: str | None = None,
    data: bytes | None = None,
    actor_id: int | None = None,
    now: datetime,
    allow_private: bool = False,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> tuple[CalendarSource, ImportReport]:
    """Import a calendar (`data` for an upload, else `url`) into its building or premises.
    A calendar already attached is imported as `import_source` does. A new one is created
    in the same transaction as its first import, so when that import is refused (an address
    not allowed, a file that is no calendar) nothing at all is written."""
    target = await _target(
        session, building_slug=building_slug, premises_slug=premises_slug, name=name, url=url, actor_id=actor_id
    )
    existing = await _existing(session, target)
    if existing is not None:
        return existing, await import_source(
            session, existing.id, data=data, now=now, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes
        )
    await end_reads(session)  # no transaction is held while the calendar is fetched
    try:
        events = await _read_calendar(
            target["url"], data, now=now, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes
        )
    except CalendarImportError as error:
        raise ImportRefused.of(error) from error
    async with write_transaction(session):
        # Found again inside the transaction: another process may have attached it meanwhile.
        source = await find_or_attach(
            session,
            building_slug=building_slug,
            premises_slug=premises_slug,
            name=name,
            url=url,
            actor_id=actor_id,
            now=now,
        )
        return source, await apply_import(session, source.id, events, now)


async def _read_calendar(
    url: str | None, data: bytes | None, *, now: datetime, allow_private: bool, timeout: float, max_bytes: int
) -> list[ImportedEvent]:
    """Fetch (unless `data` is given) and parse the whole calendar; nothing written.
    Raises CalendarImportError, or DomainError for an upload with no file."""
    if data is None:
        if not url:
            raise DomainError(
                "import_needs_file",
                "Last opp kalenderfilen på nytt.",
                "This calendar was uploaded; upload the file again.",
            )
        data = await asyncio.to_thread(
            fetch_calendar, url, timeout=timeout, max_bytes=max_bytes, allow_private=allow_private
        )
    return await asyncio.to_thread(
        parse_calendar,
        data,
        window_start=now - FEED_WINDOW_BACK,
        window_end=now + FEED_WINDOW_AHEAD,
        max_bytes=max_bytes,
    )


async def import_source(
    session: AsyncSession,
    source_id: int,
    *,
    now: datetime,
    data: bytes | None = None,
    allow_private: bool = False,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Import the calendar: `data` for an upload, else fetched from the source's URL.
    Raises ImportRefused (stable code) with nothing imported; last_error says why."""
    source = await session.get(CalendarSource, source_id)
    if source is None:
        raise NotFound("unknown_calendar_source", "Fant ikke kalenderen.", f"No calendar source {source_id}.")
    url = source.url
    await end_reads(session)  # no transaction is held while the calendar is fetched
    try:
        events = await _read_calendar(
            url, data, now=now, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes
        )
    except CalendarImportError as error:
        await _record_error(session, source_id, f"{error.code}: {error.message_en} {error.detail}".strip())
        raise ImportRefused.of(error) from error
    except DomainError as error:
        await _record_error(session, source_id, f"{error.code}: {error.message_en}")
        raise
    try:
        async with write_transaction(session):
            return await apply_import(session, source_id, events, now)
    except Exception as error:
        await _record_error(session, source_id, f"{type(error).__name__}: {error}"[:2000])
        raise


async def _record_error(session: AsyncSession, source_id: int, message: str) -> None:
    async with write_transaction(session):
        source = await session.get(CalendarSource, source_id)
        if source is not None:
            source.last_error = message


async def apply_import(
    session: AsyncSession, source_id: int, events: list[ImportedEvent], now: datetime
) -> ImportReport:
    """The write half of an import, inside the caller's write transaction."""
    # Locks the source on PostgreSQL, so two imports of one calendar take turns
    # (SQLite's BEGIN IMMEDIATE already serialises them).
    source = (
        await session.execute(select(CalendarSource).where(CalendarSource.id == source_id).with_for_update())
    ).scalar_one()
    ref = source_ref(source.id)
    scope = "building" if source.building_id is not None else "premises"
    existing = {
        closure.source_uid: closure
        for closure in (await session.execute(select(Closure).where(Closure.source_ref == ref))).scalars()
    }
    kept = [event for event in events if event.end > event.start]
    added, updated, unchanged, seen = [], 0, 0, set()
    for event in kept:
        uid = _stored_uid(event.uid)
        seen.add(uid)
        wanted = dict(
            scope=scope,
            building_id=source.building_id,
            premises_id=source.premises_id,
            start_at=event.start,
            end_at=event.end,
            reason=_reason(event, source),
        )
        closure = existing.get(uid)
        if closure is None:
            added.append(dict(wanted, source=SOURCE, source_ref=ref, source_uid=uid, created_at=now, updated_at=now))
        elif any(getattr(closure, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(closure, key, value)
            closure.updated_at = now
            updated += 1
        else:
            unchanged += 1
    if added:
        await session.execute(insert(Closure), added)
    vanished = [closure.id for uid, closure in existing.items() if uid not in seen]
    for index in range(0, len(vanished), 900):
        await session.execute(delete(Closure).where(Closure.id.in_(vanished[index : index + 900])))
    source.last_imported_at = now
    source.last_error = None
    collisions = await find_collisions(session, source, kept, now)
    return ImportReport(source.id, len(added), updated, len(vanished), unchanged, len(events) - len(kept), collisions)


async def find_collisions(
    session: AsyncSession, source: CalendarSource, events: list[ImportedEvent], now: datetime
) -> list[ImportCollision]:
    """Slot-holding bookings in the source's building or premises (family) that overlap an event."""
    if not events:
        return []
    if source.building_id is not None:
        where = Premises.building_id == source.building_id
    else:
        premises = await session.get(Premises, source.premises_id)
        related = (await families(session, {premises.building_id}))[premises.id].related
        where = Booking.premises_id.in_(related)
    first, last = min(event.start for event in events), max(event.end for event in events)
    bookings = (
        await session.execute(
            select(Booking.id, Booking.start_at, Booking.end_at, Booking.status, Premises.name)
            .join(Premises, Premises.id == Booking.premises_id)
            .where(
                where,
                Booking.start_at < last,
                Booking.end_at > first,
                Booking.status.in_([status.value for status in SLOT_HOLDING]),
                or_(Booking.status != Status.HELD.value, Booking.hold_expires_at > now),
            )
            .order_by(Booking.start_at, Booking.id)
        )
    ).all()
    ordered = sorted(events, key=lambda event: (event.start, event.uid))
    collisions, active, next_event = [], [], 0
    for booking in bookings:  # a sweep: both lists sorted by start
        while next_event < len(ordered) and ordered[next_event].start < booking.end_at:
            active.append(ordered[next_event])
            next_event += 1
        active = [event for event in active if event.end > booking.start_at]  # later bookings start later
        collisions += [
            ImportCollision(
                booking.id, booking.name, booking.start_at, booking.end_at, booking.status, event.uid, _summary(event)
            )
            for event in active
            if event.start < booking.end_at
        ]
    return collisions


async def url_sources(session: AsyncSession) -> list[CalendarSource]:
    """Every subscribed (URL) calendar, for the periodic refresh."""
    return list(
        (
            await session.execute(
                select(CalendarSource).where(CalendarSource.url.is_not(None)).order_by(CalendarSource.id)
            )
        ).scalars()
    )


async def calendar_sources(session: AsyncSession) -> list[tuple[CalendarSource, str]]:
    """Every attached calendar with the slug of its building or premises, oldest first."""
    rows = (
        await session.execute(
            select(CalendarSource, Building.slug, Premises.slug)
            .outerjoin(Building, Building.id == CalendarSource.building_id)
            .outerjoin(Premises, Premises.id == CalendarSource.premises_id)
            .order_by(CalendarSource.id)
        )
    ).all()
    return [(source, building or premises) for source, building, premises in rows]


async def remove_source(session: AsyncSession, source_id: int, *, actor_id: int | None = None) -> int:
    """Detach a calendar: the source and every closure it imported go. Returns how many
    closures went. Bookings are not touched. `actor_id=None` is the operator's command line."""
    await _staff_only(session, actor_id)
    source = (
        await session.execute(select(CalendarSource).where(CalendarSource.id == source_id).with_for_update())
    ).scalar_one_or_none()
    if source is None:
        raise NotFound("unknown_calendar_source", "Fant ikke kalenderen.", f"No calendar source {source_id}.")
    removed = await session.execute(delete(Closure).where(Closure.source_ref == source_ref(source.id)))
    await session.delete(source)
    return removed.rowcount or 0
