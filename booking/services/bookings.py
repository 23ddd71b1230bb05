"""Booking use cases: create (once per idempotency key, never overlapping), move
through the state machine, and release expired holds."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    Date,
    Insert,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from booking import notify
from booking.db.engine import ONE_STATEMENT, write_transaction
from booking.db.failures import EXCLUSION_VIOLATION, UNIQUE_VIOLATION, refused_by
from booking.db.models import (
    Booking,
    BookingHistory,
    Closure,
    Membership,
    Organisation,
    OutboxMail,
    Person,
    Premises,
    SlotClaim,
)
from booking.domain.availability import ClosureSpan, check_request, conflicts, occupied
from booking.domain.errors import Collision, Conflict, Forbidden, KeyReused, NotFound
from booking.domain.intervals import Interval
from booking.domain.lifecycle import SLOT_HOLDING, Status, initial_status, transition
from booking.domain.premises import PremisesRules
from booking.notify.outbox import outbox_row
from booking.services.catalogue import (
    Family,
    TakenSlot,
    closures_of,
    family,
    holds_of,
    local_dates,
    premises_with_family,
    rules_of,
    season_hours,
    taken_slots,
)
from booking.services.lending import Assessment, LendingRules, Request, Responsible, check_capacity, details_of
from pricing import BookingDetails

SLOT_HOLDING_VALUES = [s.value for s in SLOT_HOLDING]

# The engine's writes, built once and run on the session's connection as plain Core
# statements (the ORM's bulk insert would add its bookkeeping to every one).
INSERT_BOOKING = insert(Booking).returning(Booking.id)
INSERT_BOOKINGS = insert(Booking).returning(Booking.id, sort_by_parameter_order=True)
INSERT_BOOKINGS_AS_NUMBERED = insert(Booking)
INSERT_CLAIMS = insert(SlotClaim)
INSERT_HISTORY = insert(BookingHistory)


@dataclass(frozen=True)
class NewBooking:
    premises_slug: str
    start: datetime  # aware UTC
    end: datetime
    person_id: int
    organisation_id: int | None = None  # None: self-organised
    details: BookingDetails = BookingDetails()
    idempotency_key: str | None = None
    series_id: int | None = None
    payment_method: str | None = None  # "card" | "invoice"; ignored (stored as None) when free
    occurrence_date: date | None = None  # the date of a series it is one of
    responsible: Responsible | None = None  # who answers for it on the spot


async def existing_booking(session: AsyncSession, new: NewBooking) -> Booking | None:
    """The booking this person already made with this idempotency key, if it is the same
    request; the key used again for a different request is refused, not answered with
    the first booking."""
    if new.idempotency_key is None:
        return None
    found = await session.scalar(
        select(Booking.id).where(Booking.person_id == new.person_id, Booking.idempotency_key == new.idempotency_key)
    )
    if found is None:
        return None
    booking = await session.get(Booking, found)
    made = (
        booking.premises.slug,
        booking.start_at,
        booking.end_at,
        booking.organisation_id,
        details_of(booking),
    )
    asked = (new.premises_slug, new.start, new.end, new.organisation_id, new.details)
    if made != asked:
        raise KeyReused(new.idempotency_key, booking.id)
    return booking


async def booker(
    session: AsyncSession, person_id: int, organisation_id: int | None
) -> tuple[Person, Organisation | None]:
    """The person, and the organisation they book for if they are its delegate: one query."""
    row = (
        await session.execute(
            select(Person, Organisation, Membership.id)
            .select_from(Person)
            .outerjoin(Organisation, Organisation.id == organisation_id)
            .outerjoin(
                Membership, and_(Membership.person_id == Person.id, Membership.organisation_id == organisation_id)
            )
            .where(Person.id == person_id)
        )
    ).first()
    return checked_booker(person_id, organisation_id, *(row or (None, None, None)))


def checked_booker(
    person_id: int, organisation_id: int | None, person: Person | None, organisation: Organisation | None, member
) -> tuple[Person, Organisation | None]:
    """Pure: the person and the organisation read for them, or the refusal: an unknown
    person or organisation, or a person who is not the organisation's delegate."""
    if person is None:
        raise NotFound("unknown_person", "Fant ikke brukeren.", f"No person {person_id}.")
    if organisation_id is None:
        return person, None
    if organisation is None:
        raise NotFound("unknown_organisation", "Fant ikke organisasjonen.", f"No organisation {organisation_id}.")
    if member is None:
        raise Forbidden(
            "not_a_delegate",
            f"Du kan ikke bestille på vegne av {organisation.name}.",
            f"Person {person_id} is not a delegate of organisation {organisation_id}.",
        )
    return person, organisation


async def release_expired_holds(session: AsyncSession, now: datetime, units: frozenset[int] | None = None) -> list[int]:
    """Holds past their expiry become `expired` and give up their slot (`write_status`,
    whose conditional UPDATE makes each hold expire once, however many processes run this)."""
    query = select(Booking.id).where(Booking.status == Status.HELD.value, Booking.hold_expires_at <= now)
    if units is not None:
        query = query.where(Booking.id.in_(select(SlotClaim.booking_id).where(SlotClaim.unit_id.in_(units))))
    return await write_status(
        session,
        list((await session.execute(query)).scalars()),
        Status.HELD,
        Status.EXPIRED,
        actor_id=None,
        reason="Reservasjonen utløp.",
        now=now,
    )


async def write_status(
    session: AsyncSession,
    booking_ids: Sequence[int],
    current: Status,
    target: Status,
    *,
    actor_id: int | None,
    reason: str,
    now: datetime,
    reason_codes: Sequence[str] = (),
    cancellation: tuple[str, Decimal] | None = None,
) -> list[int]:
    """The one write of a status change, for one booking or many: each booking still in
    `current` becomes `target` (the conditional UPDATE changes each once, however many
    processes try), gives up its slot claims when it leaves the slot-holding states, and
    gets its history row (`reason`, and `reason_codes` where there are any); a
    `cancellation` (the reason the booker is told, the fee kept) is kept on the booking. Returns the
    ids changed. Whether the change is allowed is the caller's to check (`change_status`);
    the mail it sends too."""
    if not booking_ids:
        return []
    values = {"status": target.value, "updated_at": now, "sequence": Booking.sequence + 1}
    if cancellation is not None:
        values["cancellation_reason"], values["cancellation_fee"] = cancellation
    changed = list(
        (
            await session.execute(
                update(Booking)
                .where(Booking.id.in_(booking_ids), Booking.status == current.value)
                .values(**values)
                .returning(Booking.id)
                .execution_options(synchronize_session="evaluate")
            )
        ).scalars()
    )
    if not changed:
        return []
    if target not in SLOT_HOLDING:
        await session.execute(delete(SlotClaim).where(SlotClaim.booking_id.in_(changed)))
    await (await session.connection()).execute(
        INSERT_HISTORY,
        [
            {
                "booking_id": booking_id,
                "at": now,
                "actor_id": actor_id,
                "from_status": current.value,
                "to_status": target.value,
                "reason": reason,
                "reason_codes": list(reason_codes) or None,
            }
            for booking_id in changed
        ],
    )
    return changed


def as_collisions(slots) -> list[Collision]:
    """Taken slots as the collisions a Conflict names."""
    return [
        Collision("booking", s.premises_name, s.interval.start, s.interval.end, f"booking:{s.booking_id}")
        for s in slots
    ]


@dataclass(frozen=True)
class Situation:
    """Everything deciding bookings at one premises in one window needs, read in one go:
    the premises and its halls, the booker, the quota count, closures and the claims."""

    premises: Premises
    family: Family
    person: Person
    organisation: Organisation | None
    upcoming: int  # the booker's own upcoming self-organised bookings (the quota counts them)
    closures: list[ClosureSpan]
    taken: list[TakenSlot]  # claims on the family's units reaching into the window, expired holds marked
    earlier: int | None = None  # the booking this person already made under the idempotency key asked about
    reserved_id: int | None = None  # an id for the booking to write (PostgreSQL, when asked for)

    @functools.cached_property
    def structure(self) -> PremisesRules:
        return rules_of(self.premises, self.family.units)


@functools.cache
def situation_query(*, self_organised: bool, with_key: bool, reserve_id: bool = False) -> Select:
    """One statement for everything but the claims, built once per shape and run with
    `situation_parameters`: the premises asked for, its building's premises and their
    parents (`halls`, for `parents_of`), the booker, their membership, quota count
    (`self_organised`) and earlier booking under the key (`with_key`), the next booking id
    (`reserve_id`, PostgreSQL: taken once, as the statement's InitPlan), and, outer-joined,
    the building's seasonal hours held for a round and the closures reaching into the
    window that may apply to it: a row for each pair of those (one when there are none)."""
    other = aliased(Premises)
    same_building = select(other.id).where(other.building_id == Premises.building_id).correlate(Premises)
    halls = (
        select(
            func.aggregate_strings(
                cast(other.id, String) + ":" + func.coalesce(cast(other.parent_id, String), ""), literal_column("','")
            )
        )
        .where(other.building_id == Premises.building_id)
        .correlate(Premises)
    )
    start, end, person_id, organisation_id = (bindparam(name) for name in ("start", "end", "person", "organisation"))
    hours = season_hours(bindparam("first", type_=Date), bindparam("last", type_=Date)).subquery()
    earlier = (
        select(Booking.id).where(Booking.person_id == person_id, Booking.idempotency_key == bindparam("key"))
        if with_key
        else select(null())
    )
    upcoming = (
        select(func.count(Booking.id)).where(
            Booking.person_id == person_id,
            Booking.organisation_id.is_(None),
            # bound one by one: an expanding IN list would be re-rendered at every execution
            Booking.status.in_([literal(v) for v in SLOT_HOLDING_VALUES]),
            Booking.end_at > bindparam("now"),
        )
        if self_organised
        else select(literal(0))
    )
    reserved = select(func.nextval(func.pg_get_serial_sequence("booking", "id"))) if reserve_id else select(null())
    return (
        select(
            Premises,
            halls.scalar_subquery().label("halls"),
            Person,
            Organisation,
            Membership.id.label("member"),
            earlier.scalar_subquery().label("earlier"),
            upcoming.scalar_subquery().label("upcoming"),
            reserved.scalar_subquery().label("reserved_id"),
            hours,
            Closure,
        )
        .select_from(Premises)
        .outerjoin(Person, Person.id == person_id)
        .outerjoin(Organisation, Organisation.id == organisation_id)
        .outerjoin(Membership, and_(Membership.person_id == person_id, Membership.organisation_id == organisation_id))
        .outerjoin(hours, hours.c.premises_id.in_(same_building))
        .outerjoin(
            Closure,
            and_(
                Closure.start_at < end,
                Closure.end_at > start,
                or_(
                    Closure.scope == "municipality",
                    Closure.building_id == Premises.building_id,
                    Closure.premises_id.in_(same_building),
                ),
            ),
        )
        .where(Premises.slug == bindparam("slug"))
    )


def parents_of(halls: str) -> dict[int, int | None]:
    """Pure: premises id → its parent's, from `situation_query`'s "id:parent,…" text."""
    pairs = (item.split(":") for item in halls.split(","))
    return {int(child): int(parent) if parent else None for child, parent in pairs}


def situation_parameters(
    premises_slug: str,
    person_id: int,
    organisation_id: int | None,
    window: Interval,
    now: datetime,
    idempotency_key: str | None,
) -> dict:
    first, last = local_dates(window)
    return {
        "slug": premises_slug,
        "person": person_id,
        "organisation": organisation_id,
        "start": window.start,
        "end": window.end,
        "first": first,
        "last": last,
        "now": now,
        "key": idempotency_key,
    }


async def read_situation(
    session: AsyncSession,
    premises_slug: str,
    person_id: int,
    organisation_id: int | None,
    window: Interval,
    now: datetime,
    *,
    read_claims: bool = True,
    idempotency_key: str | None = None,
    reserve_id: bool = False,
) -> Situation:
    """The one read before deciding (`situation_query`), and the claims in the window
    unless the database is left to judge them (`read_claims`)."""
    rows = (
        await session.execute(
            situation_query(
                self_organised=organisation_id is None, with_key=idempotency_key is not None, reserve_id=reserve_id
            ),
            situation_parameters(premises_slug, person_id, organisation_id, window, now, idempotency_key),
        )
    ).all()
    if not rows:
        raise NotFound(
            "unknown_premises",
            f"Fant ikke lokalet «{premises_slug}».",
            f"No premises {premises_slug!r}.",
            slug=premises_slug,
        )
    first = rows[0]
    premises = first.Premises
    person, organisation = checked_booker(person_id, organisation_id, first.Person, first.Organisation, first.member)
    fam = family(premises.id, parents_of(first.halls))
    closed = {row.Closure.id: row.Closure for row in rows if row.Closure is not None}
    held = {row.hours_id: row for row in rows if row.hours_id is not None}
    closures = closures_of(premises, fam, [*closed.values(), *holds_of(held.values(), window)])
    structure = rules_of(premises, fam.units)
    taken = (
        await taken_slots(session, fam.units, occupied(structure, window), now=now, with_expired=True)
        if read_claims
        else []
    )
    return Situation(
        premises, fam, person, organisation, first.upcoming, closures, taken, first.earlier, first.reserved_id
    )


@dataclass(frozen=True)
class Placement:
    """One booking decided in pure code, ready to write: its row, the claim it makes on
    its units, what its history says, and whether an expired hold must give way first."""

    row: dict
    units: frozenset[int]
    claim: Interval
    reason: str  # in Norwegian, as the history keeps it
    reason_en: str = ""
    reason_codes: tuple[str, ...] = ()  # the approval criteria that sent it to approval
    frees_expired: bool = False

    @property
    def status(self) -> Status:
        return Status(self.row["status"])

    def history(self, booking_id: int, actor_id: int | None, now: datetime) -> dict:
        """Its history row: made, in the status decided."""
        return {
            "booking_id": booking_id,
            "at": now,
            "actor_id": actor_id,
            "from_status": None,
            "to_status": self.status.value,
            "reason": self.reason,
            "reason_codes": list(self.reason_codes) or None,
        }


def free_slot(situation: Situation, wanted: Interval, placed: Sequence[Interval] = ()) -> tuple[Interval, bool]:
    """Pure: (the buffered range `wanted` claims on the premises' units, whether an expired
    hold in the way must give its claim up first), once `wanted` is free of the claims read
    and of `placed` (claims decided before it in the same write); a collision raises Conflict."""
    structure = situation.structure
    taken = [slot for slot in situation.taken if not slot.expired]
    hits = conflicts(structure, wanted, [t.interval for t in taken] + list(placed))
    if hits:
        raise Conflict(
            as_collisions([t for t in taken if t.interval in hits])
            or [Collision("booking", situation.premises.name, wanted.start, wanted.end)]
        )
    claim = occupied(structure, wanted)
    return claim, any(slot.expired and slot.interval.overlaps(claim) for slot in situation.taken)


# How a booker pays for a decided price: (situation, request, total) → the method, or a refusal.
ChooseMethod = Callable[[Situation, NewBooking, Decimal], str | None]


def decide(
    situation: Situation,
    new: NewBooking,
    rules: LendingRules,
    now: datetime,
    placed: list[Placement] = (),
    choose_method: ChooseMethod | None = None,
) -> Placement:
    """Pure: whether `new` may be booked in this situation, and as what; a refusal raises
    its coded error. `placed`: dates of the same submission decided before this one
    (a series), which count against the quota and take their slots too. `choose_method`,
    when given, picks how the price the rules set is paid (after every other check)."""
    structure = situation.structure
    wanted = Interval(new.start, new.end)
    check_request(structure, wanted, situation.closures)
    check_capacity(situation.premises, new.details)

    def assess(method: str | None) -> Assessment:
        return rules.assess(
            Request(
                situation.premises,
                wanted,
                situation.person,
                situation.organisation,
                new.details,
                now,
                situation.upcoming + (len(placed) if situation.organisation is None else 0),
                method,
            )
        )

    assessment = assess(None if choose_method else new.payment_method)
    claim, frees_expired = free_slot(situation, wanted, [p.claim for p in placed])
    if choose_method is not None:
        new = replace(new, payment_method=choose_method(situation, new, assessment.price_total))
        assessment = assess(new.payment_method) if new.payment_method else assessment
    status = initial_status(needs_payment=assessment.needs_payment, needs_approval=assessment.needs_approval)
    row = {
        "premises_id": situation.premises.id,
        "person_id": situation.person.id,
        "organisation_id": situation.organisation.id if situation.organisation else None,
        "purpose": new.details.purpose,
        "attendees": new.details.attendees,
        "target_group": new.details.target_group,
        "alcohol": new.details.alcohol,
        "start_at": wanted.start,
        "end_at": wanted.end,
        "status": status.value,
        "hold_expires_at": now + timedelta(minutes=assessment.hold_minutes) if status is Status.HELD else None,
        "price_snapshot": assessment.price_snapshot,
        "price_total": assessment.price_total,
        "series_id": new.series_id,
        "payment_method": new.payment_method if assessment.price_total > 0 else None,
        "occurrence_date": new.occurrence_date,
        "idempotency_key": new.idempotency_key,
        "created_at": now,
        "updated_at": now,
        "sequence": 0,
        "responsible_name": new.responsible.name if new.responsible else "",
        "responsible_phone": new.responsible.phone if new.responsible else "",
    }
    return Placement(
        row,
        structure.units,
        claim,
        "; ".join(assessment.approval_reasons),
        "; ".join(assessment.approval_reasons_en),
        assessment.approval_codes,
        frees_expired,
    )


async def write_claims(
    session: AsyncSession,
    claims: Sequence[tuple[int, frozenset[int], Interval]],
    *,
    frees_expired: bool,
    now: datetime,
) -> None:
    """The slot claims of bookings decided free, as (booking id, units, buffered range):
    expired holds in the way give theirs up first (`frees_expired`), then one insert; the
    exclusion constraint on PostgreSQL, the write lock on SQLite, is the final judge."""
    if frees_expired:
        await release_expired_holds(session, now, frozenset().union(*(units for _, units, _ in claims)))
    await (await session.connection()).execute(
        INSERT_CLAIMS,
        [
            {"booking_id": booking_id, "unit_id": unit, "busy_from": claim.start, "busy_to": claim.end}
            for booking_id, units, claim in claims
            for unit in sorted(units)
        ],
    )


async def insert_bookings(connection: AsyncConnection, rows: list[dict]) -> list[int]:
    """The bookings' rows, and their ids in the same order: one INSERT … RETURNING. SQLite
    gives no order to the ids a multi-row INSERT returns (SQLAlchemy would send a row at a
    time), but a write holds its lock: there the rows take the ids after the highest."""
    if len(rows) == 1:
        return [(await connection.execute(INSERT_BOOKING, rows[0])).scalar_one()]
    if connection.dialect.name == "sqlite":
        first = (await connection.execute(select(func.coalesce(func.max(Booking.id), 0) + 1))).scalar_one()
        ids = list(range(first, first + len(rows)))
        await connection.execute(
            INSERT_BOOKINGS_AS_NUMBERED, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)]
        )
        return ids
    return list((await connection.execute(INSERT_BOOKINGS, rows)).scalars())


async def write_bookings(
    session: AsyncSession, placements: list[Placement], *, actor_id: int | None, now: datetime
) -> list[int]:
    """The writes of decided bookings, in a few statements however many there are:
    expired holds in the way give up their claims, then the bookings, their claims (the
    exclusion constraint on PostgreSQL, the write lock on SQLite, is the final judge),
    their history rows and the mail each change sends (an outbox event)."""
    if not placements:
        return []
    ids = await insert_bookings(await session.connection(), [p.row for p in placements])
    await write_claims(
        session,
        [(booking_id, p.units, p.claim) for booking_id, p in zip(ids, placements, strict=True)],
        frees_expired=any(p.frees_expired for p in placements),
        now=now,
    )
    await (await session.connection()).execute(
        INSERT_HISTORY,
        [p.history(booking_id, actor_id, now) for booking_id, p in zip(ids, placements, strict=True)],
    )
    for booking_id, p in zip(ids, placements, strict=True):
        if p.row["series_id"] is not None:
            continue  # a series' dates are reported by the series' summary (notify.series_summary)
        # A plain Booking with the written values: the mail needs no read of it.
        await notify.booking_changed(
            session, Booking(id=booking_id, **p.row), None, p.status, reason=p.reason, reason_en=p.reason_en, now=now
        )
    return ids


def as_written(situation: Situation, placement: Placement, booking_id: int) -> Booking:
    """Pure: the booking as it is written, with what it refers to: nothing is read back."""
    return Booking(
        id=booking_id,
        **placement.row,
        premises=situation.premises,
        person=situation.person,
        organisation=situation.organisation,
    )


async def write_at_once(
    session: AsyncSession, made: Booking, placement: Placement, *, actor_id: int, now: datetime
) -> None:
    """PostgreSQL: the writes of one decided booking (`made`, under the id its read
    reserved) as one statement (`written_at_once`): the booking, its claims, its history
    row and the mail it sends its booker. The exclusion constraint judges the claims as it
    does separate INSERTs."""
    assert not placement.frees_expired, "an expired hold in the way is released first (book)"
    booking_id = made.id
    row = {"id": booking_id, **filled(Booking, placement.row)}
    mail = notify.change_mail(
        made, None, placement.status, made.person, reason=placement.reason, reason_en=placement.reason_en
    )
    mail_row = outbox_row(mail, now) if mail else {}
    parameters = {
        **{f"b_{name}": value for name, value in row.items()},
        "units": sorted(placement.units),
        "busy_from": placement.claim.start,
        "busy_to": placement.claim.end,
        **{f"h_{name}": value for name, value in placement.history(booking_id, actor_id, now).items()},
        **{f"m_{name}": value for name, value in mail_row.items()},
    }
    await (await session.connection()).execute(
        written_at_once(tuple(row), tuple(mail_row)), parameters, execution_options={ONE_STATEMENT: True}
    )


def filled(model, row: dict) -> dict:
    """The row with every other column at its default (None if it has none): an INSERT
    inside a WITH clause gets no client-side defaults."""
    return {
        column.key: row.get(
            column.key, column.default.arg if column.default is not None and column.default.is_scalar else None
        )
        for column in model.__table__.columns
        if column.key in row or not column.primary_key
    }


@functools.cache
def written_at_once(fields: tuple[str, ...], mail_fields: tuple[str, ...]) -> Insert:
    """One booking's INSERTs as one PostgreSQL statement, built once per shape: the
    booking (`fields`), a claim per unit (`unnest`), the history row, and the outbox
    row (`mail_fields`, if it sends a mail; unless one with its key exists), each INSERT but the last in a WITH
    clause. The claims' exclusion constraint is checked as each row goes in, the foreign
    keys at the statement's end, when the booking is there."""

    def values(prefix: str, names) -> dict:
        return {name: bindparam(f"{prefix}{name}") for name in names}

    made = insert(Booking).values(values("b_", fields)).cte("made")
    claimed = (
        insert(SlotClaim)
        .from_select(
            ["booking_id", "unit_id", "busy_from", "busy_to"],
            select(
                bindparam("b_id", type_=Integer),
                func.unnest(bindparam("units", type_=postgresql.ARRAY(Integer))),
                bindparam("busy_from", type_=SlotClaim.__table__.c.busy_from.type),
                bindparam("busy_to", type_=SlotClaim.__table__.c.busy_to.type),
            ),
        )
        .cte("claimed")
    )
    history = ("booking_id", "at", "actor_id", "from_status", "to_status", "reason", "reason_codes")
    told = insert(BookingHistory).values(values("h_", history))
    if not mail_fields:
        return told.add_cte(made, claimed)
    mail = (
        postgresql.insert(OutboxMail)
        .values(values("m_", mail_fields))
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return mail.add_cte(made, claimed, told.cte("told"))


async def place_booking(
    session: AsyncSession,
    new: NewBooking,
    rules: LendingRules,
    now: datetime,
    choose_method: ChooseMethod | None = None,
) -> tuple[int, Placement]:
    """Read once (the claims included), decide, write: one booking inside the caller's write transaction."""
    wanted = Interval(new.start, new.end)
    situation = await read_situation(session, new.premises_slug, new.person_id, new.organisation_id, wanted, now)
    placement = decide(situation, new, rules, now, choose_method=choose_method)
    (booking_id,) = await write_bookings(session, [placement], actor_id=new.person_id, now=now)
    return booking_id, placement


# The guarantees a booking's write can be refused by (booking/db/failures.py).
OVERLAP_CONSTRAINT = "no_overlapping_claims"  # the exclusion constraint on slot_claim (SQLite: its triggers)
IDEMPOTENCY_CONSTRAINT = "idempotency"  # unique (person_id, idempotency_key) on booking
# SQLite names no constraint; its unique-violation message lists the columns instead.
SQLITE_UNIQUE_COLUMNS = {"booking.person_id, booking.idempotency_key": IDEMPOTENCY_CONSTRAINT}


def _violation(error: IntegrityError) -> str:
    """Which database guarantee refused the write: by SQLSTATE and constraint name
    (PostgreSQL), or SQLite's unique-violation code and the columns it names."""
    refusal = refused_by(error, SQLITE_UNIQUE_COLUMNS)
    if refusal.sqlstate in (EXCLUSION_VIOLATION, None) and refusal.is_constraint(OVERLAP_CONSTRAINT):
        return "overlap"
    if refusal.sqlstate in (UNIQUE_VIOLATION, None) and refusal.is_constraint(IDEMPOTENCY_CONSTRAINT):
        return "idempotency"
    return "other"


async def create_booking(session: AsyncSession, new: NewBooking, *, rules: LendingRules, now: datetime) -> Booking:
    """Create a booking, or return the one already made with the same idempotency key."""
    booking, _ = await book(session, new, rules=rules, now=now)
    return booking


async def book(
    session: AsyncSession,
    new: NewBooking,
    *,
    rules: LendingRules,
    now: datetime,
    choose_method: ChooseMethod | None = None,
) -> tuple[Booking, bool]:
    """(the booking, made now?): read once, decide, write, as one use case; the booking
    already made with the same idempotency key is the answer to the
    same request again. The claims are inserted without reading the others first: the
    exclusion constraint (SQLite: its triggers, under the write lock) decides, and only
    when it refuses does a read name what is in the way (expired holds alone in the way
    give up their slot, and the write is tried once more). On PostgreSQL the read also
    reserves the booking's id, and its rows go in as one statement (`write_at_once`), which
    is its own transaction, as the read is: neither BEGIN nor COMMIT is sent. On SQLite
    the read and the writes are one transaction under the write lock."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for last_try in (False, True):
        try:
            async with write_transaction(session, one_statement=True):
                situation = await read_situation(
                    session,
                    new.premises_slug,
                    new.person_id,
                    new.organisation_id,
                    Interval(new.start, new.end),
                    now,
                    read_claims=False,
                    idempotency_key=new.idempotency_key,
                    reserve_id=postgres,
                )
                if situation.earlier is not None:
                    return await existing_booking(session, new), False
                placement = decide(situation, new, rules, now, choose_method=choose_method)
                if postgres:
                    booking = as_written(situation, placement, situation.reserved_id)
                    await write_at_once(session, booking, placement, actor_id=new.person_id, now=now)
                else:
                    (booking_id,) = await write_bookings(session, [placement], actor_id=new.person_id, now=now)
                    booking = as_written(situation, placement, booking_id)
                return booking, True
        except IntegrityError as error:
            kind = _violation(error)
            # The same request under the same key, committed meanwhile, is the answer, whichever
            # of its rows (the key's booking or the claims) the database found in the way first.
            if kind == "idempotency" or (kind == "overlap" and new.idempotency_key is not None):
                existing = await existing_booking(session, new)
                if existing is not None:
                    return existing, False
            if kind != "overlap":
                raise
            # refused: name what took the time
            premises, fam = await premises_with_family(session, new.premises_slug)
            claim = occupied(rules_of(premises, fam.units), Interval(new.start, new.end))
            slots = await taken_slots(session, fam.units, claim, now=now, with_expired=True)
            taken = [slot for slot in slots if not slot.expired]
            if taken or last_try:
                raise Conflict(
                    as_collisions(taken) or [Collision("booking", premises.name, claim.start, claim.end)]
                ) from None
            async with write_transaction(session):
                await release_expired_holds(session, now, fam.units)
    raise AssertionError("unreachable: the last try returns or raises")


async def get_booking(session: AsyncSession, booking_id: int) -> Booking:
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
    return booking


async def locked_booking(session: AsyncSession, booking_id: int) -> Booking:
    """The booking, locked for the rest of the caller's transaction and read afresh."""
    booking = (
        await session.execute(
            select(Booking)
            .where(Booking.id == booking_id)
            .with_for_update(of=Booking)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if booking is None:
        raise NotFound("unknown_booking", "Fant ikke bestillingen.", f"No booking {booking_id}.")
    return booking


async def change_status(
    session: AsyncSession,
    booking_id: int,
    target: Status,
    *,
    actor_id: int | None,
    reason: str,
    now: datetime,
    record: str | None = None,
    reason_codes: Sequence[str] = (),
    allowed: Callable[[Status, Status], Status] = transition,
    fee: Decimal = Decimal(0),
) -> Booking:
    """One booking's state change, as the state machine allows (`allowed`: the ordinary
    transitions unless told otherwise), in the caller's transaction: the booking is
    locked and read afresh, `write_status` writes the change and its history row, and the
    mail the change sends is stored. `reason` is what the booker is told (and, for a
    cancellation, kept on the booking with the `fee` kept); `record`, when given, is what the history keeps
    instead (the reason with more, say the fee)."""
    booking = await locked_booking(session, booking_id)
    current = Status(booking.status)
    allowed(current, target)
    await write_status(
        session,
        [booking.id],
        current,
        target,
        actor_id=actor_id,
        reason=reason if record is None else record,
        now=now,
        reason_codes=reason_codes,
        cancellation=(reason, fee) if target is Status.CANCELLED else None,
    )
    await notify.booking_changed(session, booking, current, target, reason=reason, now=now)
    return booking


async def history(session: AsyncSession, booking_id: int) -> list[BookingHistory]:
    return list(
        (
            await session.execute(
                select(BookingHistory).where(BookingHistory.booking_id == booking_id).order_by(BookingHistory.id)
            )
        ).scalars()
    )
