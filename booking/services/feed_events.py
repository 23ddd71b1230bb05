"""What a feed says about a booking or a closure: the columns it is built from, two
texts the database makes from those columns, and the FeedEvent itself. A booking's own
.ics and the .ics a mail attaches are the FULL feed's events too (`full_booking_events`):
one UID and one text for a booking wherever it is published.

- The *stamp* of a row is what calendars.feed_etag reads: uid (the id), STATUS, SEQUENCE
  and LAST-MODIFIED. Every change to a booking or closure changes it, so the ETag is
  made of stamps; the database joins them for a whole feed in one aggregate.
- The *signature* adds every word the event text shows, also from other tables
  (premises, building, organisation, contact). It keys the cached text, so a renamed
  building or a note written without a new SEQUENCE never serves stale text in a full answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from types import SimpleNamespace

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import String, and_, case, cast, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, Building, Closure, Organisation, Person, Premises
from booking.domain.lifecycle import STATUS_NAMES_NB, Status
from booking.services.lending import Responsible
from calendars import FeedEvent, booking_uid, closure_uid

PUBLIC, FULL = "public", "full"  # busy/free only | who, contact and needs
UNIT_SEPARATOR, RECORD_SEPARATOR = "\x1f", "\x1e"
ENDED = frozenset({Status.CANCELLED.value, Status.REJECTED.value, Status.EXPIRED.value})
ICS_STATUS = {
    Status.CONFIRMED.value: "CONFIRMED",
    Status.REQUESTED.value: "TENTATIVE",
    Status.HELD.value: "TENTATIVE",
    **{status: "CANCELLED" for status in ENDED},
}
TARGET_GROUPS_NB = {"children_youth": "barn og unge", "adults": "voksne", "all": "alle aldre"}
CLOSURE_SOURCES_NB = {
    "manual": "registrert av kommunen",
    "public_holiday": "helligdag",
    "ical_import": "importert kalender",
}
CLOSURE_SCOPES_NB = {"premises": "lokalet", "building": "hele bygget", "municipality": "alle kommunale lokaler"}
# SEQUENCE of a closure: seconds from here to its last change, so it grows with every edit.
_CLOSURE_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


# ---------------------------------------------------------------- columns


def shown(now: datetime | None):
    """(status, SEQUENCE, LAST-MODIFIED) of a booking as published at `now`.

    A hold past its expiry is published as what `expire-holds` will write (expired, one
    SEQUENCE more, changed when it lapsed), whether or not that job has run yet. Without
    `now` the stored values are published as they are.
    """
    if now is None:
        return Booking.status, Booking.sequence, Booking.updated_at
    lapsed = and_(Booking.status == Status.HELD.value, Booking.hold_expires_at <= now)
    status = case((lapsed, literal(Status.EXPIRED.value)), else_=Booking.status)
    sequence = Booking.sequence + case((lapsed, 1), else_=0)
    changed = type_coerce(case((lapsed, Booking.hold_expires_at), else_=Booking.updated_at), DateTimeUTC)
    return status, sequence, changed


def _place_columns():
    return [
        Premises.name.label("premises_name"),
        Building.name.label("building_name"),
        Building.address,
        Building.postcode,
        Building.city,
    ]


def _people_columns():
    return [
        Booking.purpose,
        Booking.attendees,
        Booking.target_group,
        Booking.caretaker_notes,
        Booking.responsible_name,
        Booking.responsible_phone,
        Organisation.name.label("organisation_name"),
        Person.name.label("person_name"),
        Person.phone,
    ]


def bookings(variant: str, *columns):
    """SELECT columns FROM booking and what its event mentions."""
    query = (
        select(*columns)
        .select_from(Booking)
        .join(Premises, Premises.id == Booking.premises_id)
        .join(Building, Building.id == Premises.building_id)
    )
    if variant == FULL:
        query = query.outerjoin(Organisation, Organisation.id == Booking.organisation_id).join(
            Person, Person.id == Booking.person_id
        )
    return query


def booking_columns(variant: str, now: datetime | None) -> list:
    """Everything booking_event needs."""
    status, sequence, changed = shown(now)
    columns = [
        Booking.id,
        Booking.start_at,
        Booking.end_at,
        status.label("shown_status"),
        sequence.label("shown_sequence"),
        changed.label("changed"),
        *_place_columns(),
    ]
    return columns + (_people_columns() if variant == FULL else [])


def closures(*columns):
    return (
        select(*columns)
        .select_from(Closure)
        .outerjoin(Premises, Premises.id == Closure.premises_id)
        .outerjoin(Building, Building.id == func.coalesce(Closure.building_id, Premises.building_id))
    )


def closure_columns() -> list:
    return [
        Closure.id,
        Closure.start_at,
        Closure.end_at,
        Closure.updated_at,
        Closure.reason,
        Closure.source,
        Closure.scope,
        *_place_columns(),
    ]


# ---------------------------------------------------------------- signatures


def _instant_text(column, dialect: str):
    if dialect == "postgresql":  # independent of the connection's TimeZone setting
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US", type_=String)
    return cast(column, String)  # SQLite keeps instants as UTC text already


def _joined(parts) -> object:
    texts = [func.coalesce(part, "") for part in parts]
    joined = texts[0]
    for text in texts[1:]:
        joined = joined + literal(UNIT_SEPARATOR) + text
    return joined


def booking_stamp(dialect: str, now: datetime | None):
    status, sequence, changed = shown(now)
    return _joined([cast(Booking.id, String), status, cast(sequence, String), _instant_text(changed, dialect)])


def booking_signature(variant: str, dialect: str, now: datetime | None):
    # No start or end: a booking's time never changes (a move is a cancellation and a new booking).
    parts = [
        booking_stamp(dialect, now),
        Premises.name,
        Building.name,
        Building.address,
        Building.postcode,
        Building.city,
    ]
    if variant == FULL:
        parts += [
            Booking.purpose,
            cast(Booking.attendees, String),
            Booking.target_group,
            Booking.caretaker_notes,
            Booking.responsible_name,
            Booking.responsible_phone,
            Organisation.name,
            Person.name,
            Person.phone,
        ]
    return _joined(parts)


def closure_stamp(dialect: str):
    # Closures are created and deleted, never edited in place without a new updated_at.
    return _joined([cast(Closure.id, String), _instant_text(Closure.updated_at, dialect)])


def closure_signature(dialect: str):
    return _joined(
        [
            closure_stamp(dialect),
            _instant_text(Closure.start_at, dialect),
            _instant_text(Closure.end_at, dialect),
            Closure.reason,
            Closure.source,
            Closure.scope,
            Premises.name,
            Building.name,
            Building.address,
            Building.postcode,
            Building.city,
        ]
    )


def cache_key(variant: str, uid: str) -> str:
    """The key of an event's text in feed_event_cache: the public and the full text differ."""
    return f"{variant}:{uid}"


def _uid_in_sql(uid_of, column):
    before, after = uid_of("\x00").split("\x00")  # the uid's own format, not a copy of it
    return literal(before) + cast(column, String) + literal(after)


def booking_cache_key(variant: str):
    """cache_key(variant, booking_uid(id)) computed by the database, to join the cache."""
    return literal(f"{variant}:") + _uid_in_sql(booking_uid, Booking.id)


def closure_cache_key(variant: str):
    return literal(f"{variant}:") + _uid_in_sql(closure_uid, Closure.id)


# ---------------------------------------------------------------- events


def location(row) -> str:
    town = f"{row.postcode or ''} {row.city or ''}".strip()
    return ", ".join(part for part in (row.premises_name, row.building_name, row.address, town) if part)


def booking_event(row, variant: str) -> FeedEvent:
    """A booking (a row of booking_columns) as a calendar event; PUBLIC says only "busy"."""
    status = ICS_STATUS[row.shown_status]
    common = dict(
        uid=booking_uid(row.id),
        start=row.start_at,
        end=row.end_at,
        location=location(row),
        status=status,
        sequence=row.shown_sequence,
        last_modified=row.changed,
    )
    if variant == PUBLIC:
        return FeedEvent(summary="Opptatt", description="", **common)
    summary = f"{row.premises_name} – {row.organisation_name or 'Egenorganisert'}"
    if status == "CANCELLED":
        summary = f"Avlyst: {summary}"
    elif status == "TENTATIVE":
        summary = f"{summary} (foreløpig)"
    contact = row.person_name + (f", tlf. {row.phone}" if row.phone else "")
    lines = [f"Arrangør: {row.organisation_name or 'Egenorganisert aktivitet'}"]
    if row.purpose:
        lines.append(f"Formål: {row.purpose}")
    lines += [
        f"Kontaktperson: {contact}",
        f"Forventet antall: {row.attendees}",
        f"Målgruppe: {TARGET_GROUPS_NB.get(row.target_group, row.target_group)}",
        f"Status: {STATUS_NAMES_NB[Status(row.shown_status)]}",
    ]
    if row.responsible_name:
        lines.append(f"Merknad til vaktmester: {Responsible(row.responsible_name, row.responsible_phone).note()}")
    if row.caretaker_notes:
        lines.append(f"Merknad til vaktmester: {row.caretaker_notes}")
    lines.append(f"Booking nr. {row.id}")
    return FeedEvent(summary=summary, description="\n".join(lines), categories=("Booking",), **common)


async def full_booking_events(
    session: AsyncSession,
    booking_ids: Sequence[int],
    *,
    now: datetime | None = None,
    as_reported: Mapping[int, tuple[str, int, datetime]] | None = None,
) -> list[FeedEvent]:
    """These bookings as the FULL feed shows them, in the order given (an unknown id is left
    out). `now` publishes a lapsed hold as the feeds do; `as_reported` gives a booking's
    (status, SEQUENCE, LAST-MODIFIED) as a mail reports it, when the booking has changed since."""
    rows = {
        row.id: row
        for row in await session.execute(bookings(FULL, *booking_columns(FULL, now)).where(Booking.id.in_(booking_ids)))
    }
    events = []
    for booking_id in (i for i in booking_ids if i in rows):
        row = rows[booking_id]
        if as_reported and booking_id in as_reported:
            status, sequence, changed = as_reported[booking_id]
            row = SimpleNamespace(
                **{**row._mapping, "shown_status": status, "shown_sequence": sequence, "changed": changed}
            )
        events.append(booking_event(row, FULL))
    return events


def closure_sequence(changed: datetime) -> int:
    return max(0, int((changed - _CLOSURE_EPOCH).total_seconds()))


def closure_event(row, variant: str) -> FeedEvent:
    """A closure (a row of closure_columns); PUBLIC leaves out why: imported titles may name people."""
    if variant == PUBLIC:
        summary, description = "Stengt", ""
    else:
        summary = f"Stengt: {row.reason}"
        description = "\n".join(
            [
                f"Årsak: {row.reason}",
                f"Gjelder: {CLOSURE_SCOPES_NB.get(row.scope, row.scope)}",
                f"Kilde: {CLOSURE_SOURCES_NB.get(row.source, row.source)}",
            ]
        )
    return FeedEvent(
        uid=closure_uid(row.id),
        start=row.start_at,
        end=row.end_at,
        summary=summary,
        location=location(row) if row.building_name else "",
        description=description,
        status="CONFIRMED",
        sequence=closure_sequence(row.updated_at),
        last_modified=row.updated_at,
        categories=("Stengt",),
    )
