"""Serving the iCal feeds: which feed a URL means, its validators (ETag, Last-Modified),
and its body joined from the cached event texts.

A feed is answered in up to three steps, each cheaper than the next:
- `feed_validators`: ONE query, in which the database joins the stamps (id, STATUS,
  SEQUENCE, LAST-MODIFIED) of all the feed's events into one text per source; the ETag
  hashes it. A conditional request that still matches gets 304 without any row in Python.
- `feed_state`: the events in order, each with its stamp and its signature (see
  feed_events); the signature keys the text stored in `feed_event_cache` (version =
  FEED_FORMAT_VERSION, variant and a hash of the signature).
- `feed_texts`: the stored texts joined; only events whose version changed are built with
  icalendar (`calendars.event_text`) and handed back to be stored (`store_texts`).

The ETag covers exactly what calendars.feed_etag covers (uid, SEQUENCE, LAST-MODIFIED,
STATUS of each event, the name and FEED_FORMAT_VERSION), but the per-event part is joined
by the database: feed_etag wants every row in Python, and fetching 5,000 rows plus its
loop took about 30 ms here, over the budget of a 304 (1/50 of icalendar building the
feed). Both steps hash the same stamps the same way, so a 200 and a later 304 agree.
Text that changes without a new stamp (a renamed building) is rebuilt for the next full
answer, and reaches conditional clients with the next change to the feed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Booking, Building, Closure, FeedEventCache, Organisation, Person, Premises
from booking.domain.errors import NotFound
from booking.domain.lifecycle import Status
from booking.services.catalogue import families
from booking.services.feed_events import (
    ENDED,
    FULL,
    PUBLIC,
    RECORD_SEPARATOR,
    booking_cache_key,
    booking_columns,
    booking_event,
    booking_signature,
    booking_stamp,
    bookings,
    cache_key,
    closure_cache_key,
    closure_columns,
    closure_event,
    closure_signature,
    closure_stamp,
    closures,
    full_booking_events,
    shown,
)

# The token service is its own module; re-exported so callers find all of feeds here.
from booking.services.feed_tokens import (  # noqa: F401
    FEED_KINDS,
    STAFF_ROLES,
    IssuedToken,
    change_link,
    create_token,
    list_tokens,
    resolve_subject,
    revoke_token,
    rotate_token,
    token_feed,
)
from calendars import (
    CANCELLED_KEPT,
    FEED_WINDOW_AHEAD,
    FEED_WINDOW_BACK,
    booking_uid,
    build_feed,
    closure_uid,
    event_text,
    single_event_ics,
)
from calendars.feeds import FEED_FORMAT_VERSION

log = logging.getLogger("booking.feeds")

_CHUNK = 900  # ids or keys per IN (...): far below any driver's parameter limit


@dataclass(frozen=True)
class Feed:
    """What a URL serves. `kind` is "premises" | "building" | "caretaker" | "organisation" |
    "person"; `premises_ids` is the premises family of a premises feed."""

    kind: str
    subject_id: int
    name: str
    description: str
    variant: str  # PUBLIC: busy/free only; FULL: who, contact, needs
    premises_ids: tuple[int, ...] = ()
    building_id: int | None = None

    @property
    def shows_closures(self) -> bool:
        return self.kind in ("premises", "building", "caretaker")


@dataclass(frozen=True)
class Stamp:
    """One event of a feed before any text: enough to find or build its text."""

    row_id: int
    is_closure: bool
    start: datetime
    changed: datetime
    stamp: str  # what the ETag is made of
    signature: str  # what the text is made of
    cached_version: str | None = None  # the stored text, when there is one
    cached_text: str | None = None

    @property
    def uid(self) -> str:
        return closure_uid(self.row_id) if self.is_closure else booking_uid(self.row_id)


@dataclass(frozen=True)
class FeedState:
    feed: Feed
    stamps: list[Stamp]  # in feed order: by start, then uid
    etag: str
    last_modified: datetime | None  # the newest change among the events, whole seconds


# ---------------------------------------------------------------- which feed a URL means


async def describe_feed(session: AsyncSession, kind: str, subject_id: int, *, public: bool = False) -> Feed | None:
    """The feed of this kind and subject with its name, or None when the subject is gone."""
    if kind == "premises":
        premises = await session.get(Premises, subject_id)
        if premises is None:
            return None
        related = (await families(session, {premises.building_id}))[premises.id].related
        place = f"{premises.name}, {premises.building.name}"
        if public:
            return Feed(
                kind,
                premises.id,
                f"{place} – opptatt",
                f"Når {premises.name} er opptatt eller stengt. Fra Lokaler.",
                PUBLIC,
                tuple(sorted(related)),
                premises.building_id,
            )
        return Feed(
            kind,
            premises.id,
            f"{place} – alle bookinger",
            f"Bookinger og stengte dager for {place}.",
            FULL,
            tuple(sorted(related)),
            premises.building_id,
        )
    if kind == "building":
        building = await session.get(Building, subject_id)
        if building is None:
            return None
        return Feed(
            kind,
            building.id,
            f"{building.name} – alle lokaler",
            f"Bookinger og stengte dager for {building.name}.",
            FULL,
            building_id=building.id,
        )
    if kind in ("caretaker", "person"):
        person = await session.get(Person, subject_id)
        if person is None:
            return None
        if kind == "caretaker":
            return Feed(
                kind,
                person.id,
                f"Vaktmester – {person.name}",
                "Bookinger og stengte dager i byggene du har ansvar for.",
                FULL,
            )
        return Feed(kind, person.id, f"Mine bookinger – {person.name}", "Dine bookinger i Lokaler.", FULL)
    if kind == "organisation":
        organisation = await session.get(Organisation, subject_id)
        if organisation is None:
            return None
        return Feed(
            kind,
            organisation.id,
            f"{organisation.name} – bookinger",
            f"Bookingene til {organisation.name} i alle lokaler.",
            FULL,
        )
    return None


async def public_feed(session: AsyncSession, slug: str) -> Feed | None:
    premises_id = await session.scalar(select(Premises.id).where(Premises.slug == slug))
    return None if premises_id is None else await describe_feed(session, "premises", premises_id, public=True)


async def feed_for_token(session: AsyncSession, token: str) -> Feed | None:
    """The feed a token opens, or None for an unknown, revoked or no longer entitled token."""
    found = await token_feed(session, token)
    return None if found is None else await describe_feed(session, *found)


# ---------------------------------------------------------------- which rows


def _caretaker_buildings(person_id: int):
    return select(Building.id).where(Building.caretaker_id == person_id).scalar_subquery()


def _booking_filter(feed: Feed, now: datetime) -> list:
    """The bookings in the feed: its scope, the window (by start) and, once cancelled
    (or rejected, or expired), 30 days more as CANCELLED so calendars remove them."""
    if feed.kind == "premises":
        scope = Booking.premises_id.in_(feed.premises_ids)
    elif feed.kind == "building":
        scope = Premises.building_id == feed.subject_id
    elif feed.kind == "caretaker":
        scope = Premises.building_id.in_(_caretaker_buildings(feed.subject_id))
    elif feed.kind == "organisation":
        scope = Booking.organisation_id == feed.subject_id
    else:
        scope = Booking.person_id == feed.subject_id
    recently = now - CANCELLED_KEPT
    return [
        scope,
        Booking.start_at >= now - FEED_WINDOW_BACK,
        Booking.start_at < now + FEED_WINDOW_AHEAD,
        or_(
            Booking.status.in_([Status.REQUESTED.value, Status.CONFIRMED.value]),
            and_(
                Booking.status == Status.HELD.value,  # a lapsed hold is shown as cancelled
                or_(Booking.hold_expires_at.is_(None), Booking.hold_expires_at > recently),
            ),
            and_(Booking.status.in_(ENDED), Booking.updated_at > recently),
        ),
    ]


def _closure_filter(feed: Feed, now: datetime) -> list:
    """The closures that apply: for a premises, catalogue.closures_of's rule in SQL (the
    municipality's, its building's, its family's); for buildings, every one inside them."""
    municipality = Closure.scope == "municipality"
    if feed.kind == "premises":
        scope = or_(municipality, Closure.building_id == feed.building_id, Closure.premises_id.in_(feed.premises_ids))
    else:
        buildings = [feed.subject_id] if feed.kind == "building" else _caretaker_buildings(feed.subject_id)
        in_buildings = select(Premises.id).where(Premises.building_id.in_(buildings)).scalar_subquery()
        scope = or_(municipality, Closure.building_id.in_(buildings), Closure.premises_id.in_(in_buildings))
    return [scope, Closure.end_at > now - FEED_WINDOW_BACK, Closure.start_at < now + FEED_WINDOW_AHEAD]


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name


# ---------------------------------------------------------------- validators and state


def _etag(feed: Feed, booking_stamps: str, closure_stamps: str) -> str:
    """A strong ETag from the stamps joined in any order (SQLite's aggregate takes no
    ORDER BY): split, sorted and hashed, the same however they were joined."""
    digest = hashlib.sha256()
    for part in (FEED_FORMAT_VERSION, feed.variant, feed.name, feed.description):
        digest.update(part.encode("utf-8") + b"\x00")
    for joined in (booking_stamps, closure_stamps):
        digest.update(RECORD_SEPARATOR.join(sorted(joined.split(RECORD_SEPARATOR))).encode("utf-8") + b"\x00")
    return f'"{digest.hexdigest()}"'


def _newest(*instants: datetime | None) -> datetime | None:
    present = [instant for instant in instants if instant is not None]
    return max(present).replace(microsecond=0) if present else None


async def feed_validators(session: AsyncSession, feed: Feed, now: datetime) -> tuple[str, datetime | None]:
    """(ETag, Last-Modified) in one query, without sending any row to Python."""
    dialect = _dialect(session)
    _, _, changed = shown(now)
    booked = (
        bookings(
            PUBLIC,
            func.aggregate_strings(booking_stamp(dialect, now), RECORD_SEPARATOR).label("stamps"),
            func.max(changed).label("newest"),
        )
        .where(*_booking_filter(feed, now))
        .subquery()
    )
    if not feed.shows_closures:
        row = (await session.execute(select(booked.c.stamps, booked.c.newest))).one()
        return _etag(feed, row.stamps or "", ""), _newest(row.newest)
    closed = (
        closures(
            func.aggregate_strings(closure_stamp(dialect), RECORD_SEPARATOR).label("stamps"),
            func.max(Closure.updated_at).label("newest"),
        )
        .where(*_closure_filter(feed, now))
        .subquery()
    )
    row = (
        await session.execute(
            select(
                booked.c.stamps,
                booked.c.newest,
                closed.c.stamps.label("closure_stamps"),
                closed.c.newest.label("closure_newest"),
            ).select_from(booked.join(closed, true()))
        )
    ).one()
    return _etag(feed, row.stamps or "", row.closure_stamps or ""), _newest(row.newest, row.closure_newest)


async def feed_state(session: AsyncSession, feed: Feed, now: datetime) -> FeedState:
    """The feed's events in order, each with its stamp, signature and stored text (if any);
    the ETag as feed_validators makes it."""
    dialect = _dialect(session)
    variant = feed.variant
    _, _, changed = shown(now)
    rows = (
        await session.execute(
            bookings(
                variant,
                Booking.id,
                Booking.start_at,
                changed.label("changed"),
                booking_stamp(dialect, now).label("stamp"),
                booking_signature(variant, dialect, now).label("signature"),
                FeedEventCache.version,
                FeedEventCache.body,
            )
            .outerjoin(FeedEventCache, FeedEventCache.uid == booking_cache_key(variant))
            .where(*_booking_filter(feed, now))
        )
    ).all()
    stamps = [
        Stamp(row.id, False, row.start_at, row.changed, row.stamp, row.signature, row.version, row.body) for row in rows
    ]
    closure_stamps = []
    if feed.shows_closures:
        rows = (
            await session.execute(
                closures(
                    Closure.id,
                    Closure.start_at,
                    Closure.updated_at,
                    closure_stamp(dialect).label("stamp"),
                    closure_signature(dialect).label("signature"),
                    FeedEventCache.version,
                    FeedEventCache.body,
                )
                .outerjoin(FeedEventCache, FeedEventCache.uid == closure_cache_key(variant))
                .where(*_closure_filter(feed, now))
            )
        ).all()
        closure_stamps = [
            Stamp(row.id, True, row.start_at, row.updated_at, row.stamp, row.signature, row.version, row.body)
            for row in rows
        ]
    etag = _etag(
        feed, RECORD_SEPARATOR.join(s.stamp for s in stamps), RECORD_SEPARATOR.join(s.stamp for s in closure_stamps)
    )
    everything = sorted(stamps + closure_stamps, key=lambda stamp: (stamp.start, stamp.uid))
    return FeedState(feed, everything, etag, _newest(*(stamp.changed for stamp in everything)))


# ---------------------------------------------------------------- texts


def _version(variant: str, stamp: Stamp) -> str:
    digest = hashlib.blake2b(stamp.signature.encode("utf-8"), digest_size=16).hexdigest()
    return f"{FEED_FORMAT_VERSION}:{variant}:{digest}"


async def _rows_by_id(session: AsyncSession, query, column, ids: list[int]) -> dict[int, object]:
    found = {}
    for index in range(0, len(ids), _CHUNK):
        for row in (await session.execute(query.where(column.in_(ids[index : index + _CHUNK])))).all():
            found[row.id] = row
    return found


async def feed_texts(session: AsyncSession, state: FeedState, now: datetime) -> tuple[bytes, list[dict]]:
    """The feed's bytes, and the cache rows to store for the events that had to be built."""
    variant = state.feed.variant
    texts: list[str | None] = []
    missing: list[tuple[int, Stamp, str, str]] = []
    for position, stamp in enumerate(state.stamps):
        version = _version(variant, stamp)
        if stamp.cached_version == version:
            texts.append(stamp.cached_text)
        else:
            texts.append(None)
            missing.append((position, stamp, cache_key(variant, stamp.uid), version))
    booking_rows = await _rows_by_id(
        session,
        bookings(variant, *booking_columns(variant, now)),
        Booking.id,
        [stamp.row_id for _, stamp, _, _ in missing if not stamp.is_closure],
    )
    closure_rows = await _rows_by_id(
        session,
        closures(*closure_columns()),
        Closure.id,
        [stamp.row_id for _, stamp, _, _ in missing if stamp.is_closure],
    )
    fresh = []
    for position, stamp, key, version in missing:
        row = (closure_rows if stamp.is_closure else booking_rows).get(stamp.row_id)
        if row is None:  # deleted since feed_state read it (PostgreSQL reads each statement afresh)
            texts[position] = ""
            continue
        event = closure_event(row, variant) if stamp.is_closure else booking_event(row, variant)
        texts[position] = event_text(event)
        fresh.append({"uid": key, "version": version, "body": texts[position]})
    return build_feed(state.feed.name, texts, description=state.feed.description), fresh


async def store_texts(session: AsyncSession, rows: list[dict]) -> None:
    """Keep freshly built texts. Best effort: a failure costs the next request a rebuild."""
    if not rows:
        return
    try:
        async with write_transaction(session):
            if _dialect(session) == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            statement = insert(FeedEventCache)
            statement = statement.on_conflict_do_update(
                index_elements=[FeedEventCache.uid],
                set_={"version": statement.excluded.version, "body": statement.excluded.body},
            )
            for index in range(0, len(rows), 1000):
                await session.execute(statement, rows[index : index + 1000])
    except Exception:  # noqa: BLE001 - the feed is already built; the cache only saves work
        log.warning("could not store %d feed event texts", len(rows), exc_info=True)


async def feed_body(session: AsyncSession, feed: Feed, now: datetime) -> tuple[FeedState, bytes]:
    """State and bytes of a feed in one call (for scripts and tests; the web layer steps through)."""
    state = await feed_state(session, feed, now)
    body, fresh = await feed_texts(session, state, now)
    await store_texts(session, fresh)
    return state, body


# ---------------------------------------------------------------- one booking, URLs


async def booking_ics(session: AsyncSession, booking_id: int, *, now: datetime | None = None) -> bytes:
    """One booking as its own .ics (the download), with every detail.

    Without `now` the stored state is published as it is; with it, a hold past its
    expiry is published as cancelled, as in the feeds. Whether the caller may see the
    booking is the caller's to check.
    """
    events = await full_booking_events(session, [booking_id], now=now)
    if not events:
        raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
    return single_event_ics(events[0], "Din booking hos Lokaler")


def public_feed_path(slug: str) -> str:
    return f"/kalender/lokaler/{slug}.ics"


def token_feed_path(token: str) -> str:
    return f"/kalender/{token}.ics"


def feed_urls(base_url: str, path: str) -> dict[str, str]:
    """The feed's address for a link ("https", in the base URL's own scheme) and for the
    subscribe button ("webcal": the same address, which calendar apps open as a subscription)."""
    address = base_url.rstrip("/") + "/" + path.lstrip("/")
    _, _, rest = address.partition("://")
    return {"https": address, "webcal": f"webcal://{rest}"}
